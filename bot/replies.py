"""What the conversation says, independent of any channel: blocks of text and buttons.

Adapters render these (Telegram as HTML and inline keyboards, the terminal as plain text with
numbered buttons); they never need to know why a reply was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TITLE, TEXT, HTML, NOTE = "title", "text", "html", "note"
# Words a person wrote, shown to others (the staff chat): always set apart from the bot's own
# text, so that a person cannot write something that passes for the bot's own header.
QUOTE = "quote"


@dataclass(frozen=True)
class Block:
    """A piece of a reply: `title`, `text`, `note` and `quote` are plain text, `html` is entry
    HTML."""

    kind: str
    text: str


@dataclass(frozen=True)
class Button:
    """An action for the conversation (`action`), a link (`url`), or a link that opens a chat
    with the bot on an entry (`start`: the entry id; Telegram makes it t.me/<bot>?start=<id>)."""

    label: str
    action: str | None = None
    url: str | None = None
    start: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to the user."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: bytes | None = None  # a PNG shown with the blocks as its caption


@dataclass(frozen=True)
class Delivery:
    """A reply for another chat than the sender's: the staff group, or a person staff answer.

    `to` is a channel-scoped chat reference ("tg:-1001234"); `reply_to` a message in that chat
    to answer (a handover thread). The adapter sends deliveries before the sender's replies and
    reports back: `Conversation.delivered` with the new messages' references, or
    `Conversation.undelivered` when the chat refused them (whose replies then replace the
    sender's). `case` and `purpose` say what the delivery was for.
    """

    to: str
    reply: Reply
    reply_to: str | None = None
    case: int | None = None
    purpose: str = ""


@dataclass
class Outcome:
    """What to send back for one event.

    `notice`: a short confirmation for a button press; `replace`: the single reply takes the
    place of the message whose button was pressed (menu navigation), where the channel can;
    `clear_buttons`: the pressed message loses its buttons (a closed request); `deliveries`:
    messages for other chats.
    """

    replies: list[Reply] = field(default_factory=list)
    notice: str | None = None
    replace: bool = False
    clear_buttons: bool = False
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass(frozen=True)
class Sender:
    """Who sent the event: a channel-scoped reference ("tg:123"), the channel's language, and
    the chat it came from ("tg:-1001234" for a group; None or `ref` itself for a private chat).
    """

    ref: str
    lang_hint: str | None = None
    chat: str | None = None
    name: str = ""  # the display name, recorded only for editors (who signed a console session)

    @property
    def private(self) -> bool:
        """True in a one-to-one conversation with the bot (where personal features work)."""
        return self.chat is None or self.chat == self.ref

    @property
    def reach(self) -> str:
        """The chat to message this person in later (their private chat)."""
        return self.chat or self.ref


@dataclass(frozen=True)
class InlineResult:
    """One shareable answer for inline mode."""

    entry_id: str
    title: str
    description: str
    reply: Reply
