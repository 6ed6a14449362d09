"""The Telegram side: simulated users who write, send media, press buttons and type inline queries.

Why here: tests drive the bot as people would; each action becomes an update queued for
``getUpdates`` or the webhook, and respects privacy mode in groups and blocked chats.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from .html_entities import command_entities
from .models import (
    ChatMessage,
    FakeChat,
    FakeUser,
    SentMessage,
)
from .state import (
    ChatRef,
    MessageRef,
    UserRef,
    _Query,
)


class UsersMixin:
    """Simulated users of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    def _emit(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Create an update; it waits in the queue until confirmed or delivered."""
        if kind not in self._allowed_updates:
            # Telegram does not create updates of types the bot did not ask for.
            self.filtered_updates.append({kind: body})
            return None
        update = {"update_id": self._next_update_id, kind: body}
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        self._notify()
        return update

    async def user(
        self,
        id: int,
        first_name: str,
        language_code: str | None = "km",
        username: str | None = None,
        *,
        last_name: str | None = None,
        started: bool = False,
    ) -> FakeUser:
        """Create (or replace) a Telegram user. The bot does not know them until they write.

        ``started=True``: as if the user had written to the bot before (the bot may message
        them), without creating an update — for setting up thousands of known users at once.
        """
        user = FakeUser(
            id=id,
            first_name=first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )
        self.users[id] = user
        chat = self.chats.get(id)
        if chat is not None:
            chat.user = user
        if started:
            self._private(user).started = True
            self._known_users.add(id)
        return user

    async def private_chat(self, user: UserRef) -> FakeChat:
        """The private chat between ``user`` and the bot (not "started" until the user writes)."""
        return self._private(self._user(user))

    async def group(
        self,
        id: int,
        title: str,
        members: Iterable[UserRef] = (),
        *,
        type: str = "group",
        username: str | None = None,
        bot_status: str = "member",
    ) -> FakeChat:
        """Create a group (or supergroup, ``type="supergroup"``) with the bot in it."""
        if id >= 0:
            raise ValueError("group chat ids are negative")
        if type not in {"group", "supergroup"}:
            raise ValueError("type must be 'group' or 'supergroup'")
        chat = FakeChat(
            id=id,
            type=type,
            title=title,
            username=username,
            members={self._user(m).id for m in members},
            bot_status=bot_status,
        )
        self.chats[id] = chat
        return chat

    def _bot_sees(self, chat: FakeChat, message: ChatMessage) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_status in {"left", "kicked"}:
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        text = message.text or ""
        me = self.bot_username.lower()
        for entity in message.entities:
            piece = _utf16_slice(text, entity["offset"], entity["length"])
            if entity["type"] == "bot_command":
                target = piece.partition("@")[2].lower()
                if target in {"", me}:
                    return True
            if entity["type"] == "mention" and piece[1:].lower() == me:
                return True
        return False

    async def _incoming(
        self,
        user: UserRef,
        chat: ChatRef | None,
        *,
        kind: str = "text",
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        reply_to: MessageRef | None = None,
    ) -> ChatMessage:
        sender = self._user(user)
        where = self._chat(chat) if chat is not None else self._private(sender)
        if where.type == "private":
            if where.id != sender.id:
                raise ValueError("a private chat belongs to one user")
            if where.blocked:
                raise RuntimeError(f"user {sender.id} blocked the bot; call api.unblock() first")
            where.started = True
        else:
            where.members.add(sender.id)
        if entities is None:
            entities = command_entities(text or "")
        message = self._store(
            ChatMessage(
                chat=where,
                message_id=self._new_message_id(where),
                date=int(time.time()),
                from_bot=False,
                user=sender,
                text=text,
                entities=entities,
                kind=kind,
                extra=extra or {},
                reply_to=self._find(reply_to) if reply_to is not None else None,
            )
        )
        if self._bot_sees(where, message):
            self._known_users.add(sender.id)
            update = self._emit("message", message.to_api(self.bot_user))
            message.update_id = update["update_id"] if update else None
        await asyncio.sleep(0)
        return message

    async def send_text(
        self,
        user: UserRef,
        text: str,
        chat: ChatRef | None = None,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: MessageRef | None = None,
    ) -> ChatMessage:
        """The user writes ``text`` (in their private chat unless ``chat`` is given).

        Entities for ``/commands``, ``@mentions``, URLs and hashtags are computed like Telegram
        clients do, unless given. Returns the stored message; its ``update_id`` is ``None``
        when the bot cannot see it (privacy mode in groups).
        """
        return await self._incoming(user, chat, text=text, entities=entities, reply_to=reply_to)

    async def send_command(
        self,
        user: UserRef,
        command: str,
        args: str = "",
        chat: ChatRef | None = None,
        *,
        mention: bool = False,
    ) -> ChatMessage:
        """The user sends ``/command args`` (``/command@bot`` with ``mention=True``)."""
        name = command.lstrip("/")
        text = f"/{name}@{self.bot_username}" if mention else f"/{name}"
        if args:
            text = f"{text} {args}"
        return await self.send_text(user, text, chat)

    async def send_sticker(
        self, user: UserRef, chat: ChatRef | None = None, *, emoji: str = "👍"
    ) -> ChatMessage:
        """The user sends a sticker."""
        file_id = self._new_file("sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "FakeStickers",
        }
        return await self._incoming(user, chat, kind="sticker", extra={"sticker": sticker})

    async def send_photo(
        self, user: UserRef, chat: ChatRef | None = None, *, caption: str | None = None
    ) -> ChatMessage:
        """The user sends a photo, optionally with a caption."""
        file_id = self._new_file("photo")
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:] + "s",
                "width": 90,
                "height": 67,
                "file_size": 1500,
            },
            {
                "file_id": file_id,
                "file_unique_id": file_id[-12:],
                "width": 1280,
                "height": 960,
                "file_size": 120_000,
            },
        ]
        return await self._incoming(
            user,
            chat,
            kind="photo",
            text=caption,
            entities=command_entities(caption or ""),
            extra={"photo": photo},
        )

    async def send_voice(
        self, user: UserRef, chat: ChatRef | None = None, *, duration: int = 3
    ) -> ChatMessage:
        """The user sends a voice note."""
        file_id = self._new_file("voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": file_id[-12:],
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4000 * duration,
        }
        return await self._incoming(user, chat, kind="voice", extra={"voice": voice})

    async def send_location(
        self,
        user: UserRef,
        latitude: float = 11.5564,
        longitude: float = 104.9282,
        chat: ChatRef | None = None,
    ) -> ChatMessage:
        """The user shares a location (Phnom Penh by default)."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self._incoming(user, chat, kind="location", extra={"location": location})

    async def edit_text(self, user: UserRef, message: MessageRef, text: str) -> ChatMessage:
        """The user edits one of their text messages (an ``edited_message`` update)."""
        stored = self._find(message)
        sender = self._user(user)
        if stored.from_bot or stored.user is None or stored.user.id != sender.id:
            raise ValueError("users can only edit their own messages")
        stored.text = text
        stored.entities = command_entities(text)
        stored.edit_date = int(time.time())
        if self._bot_sees(stored.chat, stored):
            self._emit("edited_message", stored.to_api(self.bot_user))
        await asyncio.sleep(0)
        return stored

    def _find(self, ref: MessageRef) -> ChatMessage:
        if isinstance(ref, ChatMessage):
            return ref
        if isinstance(ref, SentMessage):
            chat_id, message_id = ref.chat_id, ref.message_id
        else:
            chat_id, message_id = ref["chat"]["id"], ref["message_id"]
        try:
            return self._messages[chat_id][message_id]
        except KeyError:
            raise LookupError(f"no message {message_id} in chat {chat_id}") from None

    async def press_button(
        self,
        user: UserRef,
        message: MessageRef,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        forge: bool = False,
    ) -> str:
        """The user taps an inline button; returns the callback query id.

        Pick the button by ``callback_data`` or by its label (``text=``). The button must be on
        the message *as it is now* (after edits), as on a real phone; ``forge=True`` skips that
        check, to test how the bot treats crafted or stale callback data.
        """
        stored = self._find(message)
        presser = self._user(user)
        if stored.deleted and not forge:
            raise LookupError("the message was deleted; its buttons are gone")
        buttons = stored.buttons
        if callback_data is None:
            if text is None:
                raise ValueError("give callback_data or text")
            match = [b for b in buttons if b.get("text") == text and "callback_data" in b]
            if not match:
                labels = [b.get("text") for b in buttons]
                raise LookupError(f"no callback button labelled {text!r}; buttons: {labels}")
            callback_data = str(match[0]["callback_data"])
        if not forge and not any(b.get("callback_data") == callback_data for b in buttons):
            offered = [b.get("callback_data") for b in buttons if "callback_data" in b]
            raise LookupError(
                f"message {stored.message_id} has no button with callback_data "
                f"{callback_data!r}; it offers {offered} (use forge=True to send it anyway)"
            )
        if stored.chat.type == "private" and stored.chat.id != presser.id:
            raise ValueError("only the chat's user can press buttons in a private chat")
        query_id = str(self._random.getrandbits(63))
        payload = {
            "id": query_id,
            "from": presser.to_api(),
            "message": stored.to_api(self.bot_user),
            "chat_instance": str(abs(hash((stored.chat.id, self.bot_id))) % 10**18),
            "data": callback_data,
        }
        self._callback_queries[query_id] = _Query(time.monotonic(), payload)
        self._known_users.add(presser.id)
        self._emit("callback_query", payload)
        await asyncio.sleep(0)
        return query_id

    async def inline_query(
        self, user: UserRef, query: str, *, offset: str = "", chat_type: str = "sender"
    ) -> str:
        """The user types ``@bot query`` in some chat; returns the inline query id."""
        if not self.inline_mode:
            raise RuntimeError("inline mode is off for this bot")
        sender = self._user(user)
        query_id = str(self._random.getrandbits(63))
        payload = {
            "id": query_id,
            "from": sender.to_api(),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._inline_queries[query_id] = _Query(time.monotonic(), payload)
        self._known_users.add(sender.id)
        self._emit("inline_query", payload)
        await asyncio.sleep(0)
        return query_id

    async def _member_update(self, chat: FakeChat, user: FakeUser, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": dict(self.bot_user)}
            if status == "kicked":
                data["until_date"] = 0  # required by ChatMemberBanned; 0 = for ever
            return data

        self._emit(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": user.to_api(),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )
        await asyncio.sleep(0)

    async def block(self, user: UserRef) -> None:
        """The user blocks the bot: sends then fail with 403 "bot was blocked by the user"."""
        sender = self._user(user)
        chat = self._private(sender)
        chat.bot_status = "kicked"
        if chat.started:
            await self._member_update(chat, sender, "member", "kicked")

    async def unblock(self, user: UserRef) -> None:
        """The user unblocks the bot (the chat is usable again once they write)."""
        sender = self._user(user)
        chat = self._private(sender)
        chat.bot_status = "member"
        if chat.started:
            await self._member_update(chat, sender, "kicked", "member")


def _utf16_slice(text: str, offset: int, length: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    return data[offset * 2 : (offset + length) * 2].decode("utf-16-le", "surrogatepass")
