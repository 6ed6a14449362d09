"""Tests of the fake Bot API server itself (tests/fakeapi).

Why: every end-to-end test of the bot trusts this fake. If the fake accepted something Telegram
refuses, those tests would pass while production fails; so here a real python-telegram-bot
``Bot`` (and raw HTTP where PTB would refuse to send the bad request) checks that the fake
refuses what Telegram refuses, with Telegram's wording, and delivers updates the way Telegram
does (offset confirmation, webhook with secret token and retries, 429/5xx/drops).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dtm
import socket
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakeapi import FakeBotApi, parse_html
from tests.fakeapi.html_entities import EntityParseError, check_url

TOKEN = "123456:TEST-token_for_the_fake"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def api(fake_api: FakeBotApi) -> FakeBotApi:
    return fake_api


@pytest_asyncio.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    request = HTTPXRequest(connect_timeout=2.0, read_timeout=2.0)
    async with Bot(TOKEN, base_url=api.base_url, request=request) as client:
        yield client


async def raw(api: FakeBotApi, method: str, *, token: str = TOKEN, **params: Any) -> Any:
    """POST JSON straight to the fake, bypassing PTB's own checks."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.root}/bot{token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


async def started_user(api: FakeBotApi, user_id: int = 1001, **kwargs: Any) -> Any:
    """A user who has written /start, so the bot may write to them."""
    user = await api.user(user_id, kwargs.pop("first_name", "Dara"), **kwargs)
    await api.send_text(user, "/start")
    return user


class Refused(Exception):
    """A refusal seen through raw HTTP, carrying Telegram's exact description."""


def last_description(api: FakeBotApi) -> str:
    return str(api.requests[-1].description)


# ---------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me_and_telegram_shaped_errors(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "govbot_test_bot"
    assert me.id == 123456
    assert me.can_read_all_group_messages is False  # privacy mode, as BotFather's default

    assert await raw(api, "getMe", token="123456:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw(api, "sendSticker") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await raw(api, "GETME")  # method names are case-insensitive
    assert status == 200 and body["ok"] is True and body["result"]["is_bot"] is True


@pytest.mark.asyncio
async def test_parameters_as_json_form_and_multipart(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    async with aiohttp.ClientSession() as session:
        form = {"chat_id": str(user.id), "text": "form <b>ok</b>", "parse_mode": "HTML"}
        async with session.post(api.method_url("sendMessage"), data=form) as response:
            body = await response.json()
        assert body["ok"] and body["result"]["text"] == "form ok"
        async with session.get(
            api.method_url("sendMessage"), params={"chat_id": str(user.id), "text": "query"}
        ) as response:
            assert (await response.json())["result"]["text"] == "query"

    photo = await bot.send_photo(user.id, PNG, caption="<i>map</i>", parse_mode="HTML")
    assert photo.caption == "map"
    assert api.calls("sendPhoto")[-1].files == ["photo"]
    again = await bot.send_photo(user.id, photo.photo[-1].file_id)  # a known file_id is reused
    assert again.photo
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(user.id, b"not an image at all")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(user.id, "no-such-file-id")


# ---------------------------------------------------------------- sending and editing


@pytest.mark.asyncio
async def test_send_and_edit_valid_html(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    html = (
        '<b>ទិដ្ឋាការ</b> &amp; <i>e-Visa</i> <a href="https://www.evisa.gov.kh/">site</a>\n'
        '<pre><code class="language-text">fee: $30</code></pre>'
        "<blockquote expandable>note &lt;1&gt; &#128512;</blockquote>"
        '<span class="tg-spoiler">s</span>'
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("👍", callback_data="fb:up"),
                InlineKeyboardButton("Official site", url="https://www.evisa.gov.kh/"),
            ]
        ]
    )
    message = await bot.send_message(user.id, html, parse_mode="HTML", reply_markup=keyboard)
    assert message.text.startswith("ទិដ្ឋាការ & e-Visa site\nfee: $30note <1> 😀")
    kinds = [entity.type for entity in message.entities]
    assert kinds == ["bold", "italic", "text_link", "pre", "expandable_blockquote", "spoiler"]
    pre = next(e for e in message.entities if e.type == "pre")
    assert pre.language == "text"

    sent = api.sent[-1]
    assert (sent.chat_id, sent.message_id, sent.html) == (user.id, message.message_id, html)
    assert sent.text == message.text
    assert sent.callback_data == ["fb:up"] and sent.button_texts == ["👍", "Official site"]

    edited = await bot.edit_message_text(
        "<b>new</b>", user.id, message.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    assert edited.text == "new" and api.sent[-1].method == "editMessageText"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>new</b>", user.id, message.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    assert "exactly the same as a current content and reply markup" in last_description(api)

    # Editing the text without reply_markup removes the keyboard, as on Telegram.
    await bot.edit_message_text("plain", user.id, message.message_id)
    assert api.bot_messages(user)[-1].reply_markup is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", user.id, 9999)
    user_message = api.messages_in(user)[0]
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", user.id, user_message.message_id)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(user.id, message.message_id, reply_markup=None)
    assert await bot.delete_message(user.id, message.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(user.id, message.message_id)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("line<br>next", 'can\'t parse entities: Unsupported start tag "br" at byte offset 4'),
        ("ក<br/>", 'can\'t parse entities: Unsupported start tag "br/" at byte offset 3'),
        ("<b>bold", "can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        (
            "<b><i>x</b></i>",
            'can\'t parse entities: Unmatched end tag at byte offset 7, expected "</i>", '
            'found "</b>"',
        ),
        ("Q&A", 'can\'t parse entities: Unescaped "&" at byte offset 1'),
        ("1 < 2", 'can\'t parse entities: Unsupported start tag "" at byte offset 2'),
        ("a &nbsp; b", 'can\'t parse entities: Unescaped "&" at byte offset 2'),
        (
            '<span class="x">s</span>',
            'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset 0',
        ),
        ("x" * 4097, "message is too long"),
        ("😀" * 2049, "message is too long"),  # 4,098 UTF-16 code units
        ("<b> </b>", "text must be non-empty"),
        ("", "message text is empty"),
    ],
)
@pytest.mark.asyncio
async def test_rejected_text(api: FakeBotApi, text: str, description: str) -> None:
    user = await started_user(api)
    status, body = await raw(api, "sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: " + description)
    assert api.sent == []


@pytest.mark.asyncio
async def test_ptb_sees_rejections_as_bad_request(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    for text in ("a<br>b", "<b>unclosed", "fish & chips", "x" * 4097):
        with pytest.raises(BadRequest):
            await bot.send_message(user.id, text, parse_mode="HTML")
    await bot.send_message(user.id, "x" * 4096)
    await bot.send_message(user.id, "😀" * 2048)
    assert [len(s.text or "") for s in api.sent] == [4096, 2048]


@pytest.mark.asyncio
async def test_inline_keyboard_rules(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)

    async def send(button: InlineKeyboardButton | dict[str, Any]) -> None:
        row = [button.to_dict() if isinstance(button, InlineKeyboardButton) else button]
        status, body = await raw(
            api, "sendMessage", chat_id=user.id, text="t", reply_markup={"inline_keyboard": [row]}
        )
        if status != 200:
            raise Refused(body["description"])

    await send(InlineKeyboardButton("ok", callback_data="x" * 64))
    cases: list[tuple[Any, str]] = [
        (InlineKeyboardButton("b", callback_data="x" * 65), "Bad Request: BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("b", callback_data="ក" * 22), "Bad Request: BUTTON_DATA_INVALID"),
        (
            InlineKeyboardButton("b", url="http://localhost:8080/x"),
            "Bad Request: inline keyboard button URL 'http://localhost:8080/x' is invalid: "
            "Wrong HTTP URL",
        ),
        (
            InlineKeyboardButton("b", url="ftp://example.com"),
            "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: "
            "Unsupported URL protocol",
        ),
        (
            {"text": "b"},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        ({"text": "b", "callback_data": ""}, "Text buttons are unallowed"),
        ({"text": "", "callback_data": "x"}, "Bad Request: BUTTON_TEXT_INVALID"),
        ({"callback_data": "x"}, 'Can\'t find field "text"'),
        ({"text": "b", "callback_data": "x", "url": "https://example.com"}, "exactly one"),
    ]
    for button, expected in cases:
        with pytest.raises(Refused) as caught:
            await send(button)
        assert expected in str(caught.value), (button, caught.value)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(
            user.id,
            "t",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("b", callback_data="y" * 65)]]
            ),
        )
    assert len(api.sent) == 1


@pytest.mark.asyncio
async def test_who_the_bot_may_write_to(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(42, "hello?")
    stranger = await api.user(2002, "Sok")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(stranger.id, "never talked to me")
    user = await started_user(api)
    await bot.send_message(user.id, "hi")
    await api.block(user)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(user.id, "still there?")
    assert api.pending_updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    await api.unblock(user)
    await bot.send_message(user.id, "welcome back")

    group = await api.group(-100, "Office", [user])
    assert await bot.send_chat_action(group.id, "typing") is True
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(group.id, "dancing")
    group.bot_status = "kicked"
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "hi all")
    chat = await bot.get_chat(user.id)
    assert chat.first_name == "Dara" and chat.type == "private"


# ---------------------------------------------------------------- updates


@pytest.mark.asyncio
async def test_long_polling_with_offset_confirmation(api: FakeBotApi, bot: Bot) -> None:
    user = await api.user(1001, "Dara", language_code="km")
    first = await api.send_text(user, "/start evisa-apply")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first.update_id]
    message = updates[0].message
    assert message.text == "/start evisa-apply" and message.from_user.language_code == "km"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6

    # Not confirmed yet: delivered again.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [first.update_id]
    # Confirmed by a higher offset: gone for ever, even when asking from an old offset.
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()
    assert await bot.get_updates(offset=first.update_id, timeout=0) == ()

    async def later() -> None:
        await asyncio.sleep(0.2)
        await api.send_sticker(user)

    task = asyncio.create_task(later())
    started = asyncio.get_running_loop().time()
    waited = await bot.get_updates(offset=first.update_id + 1, timeout=3)
    assert asyncio.get_running_loop().time() - started < 2
    await task
    assert waited[0].update_id == first.update_id + 1 and waited[0].message.sticker

    await api.send_photo(user, caption="id card")
    await api.send_voice(user)
    await api.send_location(user)
    kinds = await bot.get_updates(offset=waited[0].update_id + 1, timeout=0)
    assert [bool(u.message.photo) for u in kinds] == [True, False, False]
    assert kinds[1].message.voice and kinds[2].message.location
    assert await bot.get_updates(offset=kinds[-1].update_id + 1, timeout=0) == ()
    assert api.pending_updates == []


@pytest.mark.asyncio
async def test_every_simulated_update_parses_in_ptb(api: FakeBotApi, bot: Bot) -> None:
    user = await api.user(1001, "Dara", username="dara_kh", last_name="Sok")
    group = await api.group(-1001234, "Ministry", [user], type="supergroup", username="gov_kh")
    await api.send_text(user, "hi https://example.org #visa @someone 😀 /help")
    await api.block(user)
    await api.unblock(user)
    await api.send_command(user, "start", "evisa-apply")
    await api.send_command(user, "help", chat=group, mention=True)
    await api.send_sticker(user)
    await api.send_photo(user, caption="/start")
    await api.send_voice(user)
    await api.send_location(user)
    typed = await api.send_text(user, "pasport")
    await api.edit_text(user, typed, "passport")
    await bot.send_message(
        user.id,
        "menu",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
    )
    await api.press_button(user, api.sent[-1], "a")
    await api.inline_query(user, "visa")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [u["update_id"] for u in api.updates]
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in updates]
    assert kinds == ["message", "my_chat_member", "my_chat_member"] + ["message"] * 7 + [
        "edited_message",
        "callback_query",
        "inline_query",
    ]
    first = updates[0].message
    assert first is not None
    assert [e.type for e in first.entities] == ["url", "hashtag", "mention", "bot_command"]
    assert first.parse_entity(first.entities[-1]) == "/help"  # offsets are UTF-16
    assert await bot.send_message("@gov_kh", "by username")
    assert (await bot.get_chat(group.id)).username == "gov_kh"


@pytest.mark.asyncio
async def test_allowed_updates_limit_and_negative_offset(api: FakeBotApi, bot: Bot) -> None:
    user = await api.user(1001, "Dara")
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()
    await api.send_text(user, "filtered out: the bot did not ask for messages")
    assert api.pending_updates == [] and len(api.filtered_updates) == 1
    assert await bot.get_updates(timeout=0, allowed_updates=[]) == ()  # back to the default
    sent = [await api.send_text(user, f"m{i}") for i in range(5)]
    assert [u.message.text for u in await bot.get_updates(timeout=0, limit=2)] == ["m0", "m1"]
    last_two = await bot.get_updates(offset=-2, timeout=0)
    assert [u.update_id for u in last_two] == [m.update_id for m in sent[-2:]]
    assert len(api.pending_updates) == 2  # -2 forgot everything before the last two

    _, body = await raw(api, "setWebhook", url="http://127.0.0.1:9/x", max_connections=5)
    assert body["description"] == "Webhook was set"
    _, body = await raw(api, "setWebhook", url="http://127.0.0.1:9/x", max_connections=5)
    assert body["description"] == "Webhook is already set"
    _, body = await raw(api, "deleteWebhook", drop_pending_updates=True)
    assert body == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert api.pending_updates == []
    _, body = await raw(api, "deleteWebhook")
    assert body["description"] == "Webhook is already deleted"


@pytest.mark.asyncio
async def test_overlapping_polls_conflict(api: FakeBotApi, bot: Bot) -> None:
    first = asyncio.create_task(raw(api, "getUpdates", timeout=3))
    await asyncio.sleep(0.2)
    assert await raw(api, "getUpdates", timeout=0) == (200, {"ok": True, "result": []})
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    waiting = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.2)
    await raw(api, "getUpdates", timeout=0)
    with pytest.raises(Conflict):
        await waiting


@pytest.mark.asyncio
async def test_group_privacy_mode(api: FakeBotApi) -> None:
    dara = await api.user(1001, "Dara")
    group = await api.group(-200, "Ministry staff", [dara])
    quiet = await api.send_text(dara, "lunch anyone?", group)
    mention = await api.send_text(dara, "@govbot_test_bot how do I renew a passport?", group)
    command = await api.send_command(dara, "help", chat=group, mention=True)
    other_bot = await api.send_text(dara, "/help@some_other_bot", group)
    assert quiet.update_id is None and other_bot.update_id is None
    assert mention.update_id is not None and command.update_id is not None
    assert [u["message"]["message_id"] for u in api.pending_updates] == [
        mention.message_id,
        command.message_id,
    ]


@pytest.mark.asyncio
async def test_webhook_delivery_with_secret_and_retries(api: FakeBotApi, bot: Bot) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        with pytest.raises(BadRequest, match="Secret token contains unallowed characters"):
            await bot.set_webhook(url, secret_token="a+b=")
        with pytest.raises(BadRequest, match=r"(?i)failed to resolve host"):
            await bot.set_webhook("https://example.com/hook")
        assert await bot.set_webhook(url, secret_token="s3cret_TOKEN-1") is True
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0

        user = await api.user(1001, "Dara")
        first = await api.send_text(user, "hello")
        second = await api.send_text(user, "again")
        await api.wait_confirmed(timeout=5)
        ids = [update["update_id"] for update, _ in received]
        # The first POST failed (500) and was retried; order within the chat is kept.
        assert ids == [first.update_id, first.update_id, second.update_id]
        assert {secret for _, secret in received} == {"s3cret_TOKEN-1"}
        assert [d.status for d in api.webhook_deliveries] == [500, 200, 200]
        info = await bot.get_webhook_info()
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook() is True
        assert await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_webhook_retries_while_receiver_is_down(api: FakeBotApi) -> None:
    api.webhook_max_attempts = 3
    status, body = await raw(api, "setWebhook", url="http://127.0.0.1:9/nothing-listens")
    assert status == 200 and body["description"] == "Webhook was set"
    user = await api.user(1001, "Dara")
    await api.send_text(user, "hello")
    await api.wait_until(lambda: api.dropped_updates, timeout=5, what="give-up")
    assert [d.error for d in api.webhook_deliveries] == ["Connection refused"] * 3
    assert api.webhook_info()["last_error_message"] == "Connection refused"


# ---------------------------------------------------------------- faults


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.asyncio
async def test_429_surfaces_as_retry_after(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    api.faults.inject("sendMessage", "429", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "hi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry_after = caught.value.retry_after
    seconds = retry_after.total_seconds() if isinstance(retry_after, dtm.timedelta) else retry_after
    assert seconds == 3
    assert api.calls("sendMessage")[-1].description == "Too Many Requests: retry after 3"
    await bot.send_message(user.id, "hi")  # the rule fired once and is spent
    assert api.faults.counts["sendMessage", "429"] == 1
    assert [s.text for s in api.sent] == ["hi"]


@pytest.mark.asyncio
async def test_transport_faults(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    for kind in ("500", "502", "drop"):
        api.faults.inject("sendMessage", kind)
        with pytest.raises(NetworkError):
            await bot.send_message(user.id, f"after {kind}")
    assert api.sent == []  # none of these executed

    api.faults.inject("sendMessage", "drop_after_delivery")
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "delivered, but the bot was not told")
    assert [s.client_saw_error for s in api.sent] == [True]
    assert api.bot_messages(user)[-1].text == "delivered, but the bot was not told"

    impatient = HTTPXRequest(read_timeout=0.3)
    async with Bot(TOKEN, base_url=api.base_url, request=impatient) as quick:
        api.faults.inject("sendMessage", "hang")
        with pytest.raises(TimedOut):
            await quick.send_message(user.id, "never arrives")
        api.faults.inject("sendMessage", "hang_after_delivery")
        with pytest.raises(TimedOut):
            await quick.send_message(user.id, "arrives, answer does not")
        api.faults.inject("sendMessage", "slow", delay=0.1)
        await quick.send_message(user.id, "slow but fine")
    assert [s.text for s in api.sent][1:] == ["arrives, answer does not", "slow but fine"]
    assert api.faults.total() == 7
    assert api.faults.counts["sendMessage", "hang"] == 1


@pytest.mark.asyncio
async def test_fault_probability_and_chat_filter(api: FakeBotApi, bot: Bot) -> None:
    one = await started_user(api, 1001)
    two = await started_user(api, 1002, first_name="Sok")
    api.faults.inject("*", "500", chat_id=two.id, times=2)
    await bot.send_message(one.id, "fine")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(two.id, "fails")
    await bot.send_message(two.id, "fine now")
    rule = api.faults.inject("sendChatAction", "500", probability=0.5)
    for _ in range(40):
        with contextlib.suppress(NetworkError):  # about half of these fail, by design
            await bot.send_chat_action(one.id, "typing")
    assert 5 < rule.fired < 35
    assert len(api.chat_actions) == 40 - rule.fired


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.asyncio
async def test_rate_limiter(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    api.rate_limiter.enable(per_chat_per_second=1, chat_burst=3)
    for index in range(3):
        await bot.send_message(user.id, f"burst {index}")
    with pytest.raises(RetryAfter):
        await bot.send_message(user.id, "one too many")
    assert api.rate_limiter.limited == 1
    api.rate_limiter.disable()
    await bot.send_message(user.id, "unlimited again")


# ---------------------------------------------------------------- buttons, inline, commands


@pytest.mark.asyncio
async def test_buttons_and_callback_answers(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("English", callback_data="lang:en"),
                InlineKeyboardButton("ខ្មែរ", callback_data="lang:km"),
            ]
        ]
    )
    await bot.send_message(user.id, "Choose", reply_markup=keyboard)
    menu = api.sent[-1]
    with pytest.raises(LookupError, match="no button with callback_data"):
        await api.press_button(user, menu, "lang:fr")
    forged = await api.press_button(user, menu, "x" * 64, forge=True)
    query_id = await api.press_button(user, menu, text="English")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query.data == "lang:en" and query.id == query_id
    assert query.message.message_id == menu.message_id

    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="OK") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("123")
    assert [a.text for a in api.callback_answers] == ["OK"]
    assert api.callback_answers[0].query["data"] == "lang:en"
    assert await bot.answer_callback_query(forged) is True


@pytest.mark.asyncio
async def test_inline_queries(api: FakeBotApi, bot: Bot) -> None:
    user = await api.user(1001, "Dara", language_code="en")

    def article(index: int, text: str = "<b>answer</b>") -> InlineQueryResultArticle:
        return InlineQueryResultArticle(
            id=f"entry-{index}",
            title=f"Entry {index}",
            input_message_content=InputTextMessageContent(text, parse_mode="HTML"),
        )

    query_id = await api.inline_query(user, "e-visa")
    with pytest.raises(BadRequest, match="Results_too_much"):
        await bot.answer_inline_query(query_id, [article(i) for i in range(51)])
    with pytest.raises(BadRequest, match="Result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article(1), article(1)])
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.answer_inline_query(query_id, [article(1, "a<br>b")])
    assert await bot.answer_inline_query(query_id, [article(1), article(2)], cache_time=0)
    answer = api.inline_answers[-1]
    assert answer.titles == ["Entry 1", "Entry 2"] and answer.texts == ["answer", "answer"]
    assert answer.query["query"] == "e-visa"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [])


@pytest.mark.asyncio
async def test_commands_by_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    english = [BotCommand("start", "Start"), BotCommand("language", "Change language")]
    khmer = [BotCommand("start", "ចាប់ផ្តើម")]
    assert await bot.set_my_commands(english)
    assert await bot.set_my_commands(khmer, language_code="km")
    assert await bot.set_my_commands(english, scope=BotCommandScopeAllPrivateChats())
    assert [c.command for c in await bot.get_my_commands()] == ["start", "language"]
    assert [c.description for c in await bot.get_my_commands(language_code="km")] == ["ចាប់ផ្តើម"]
    assert api.commands_for("default", "km") == [{"command": "start", "description": "ចាប់ផ្តើម"}]
    assert api.commands_for("all_private_chats") == [c.to_dict() for c in english]
    assert await bot.delete_my_commands(language_code="km")
    assert await bot.get_my_commands(language_code="km") == ()

    for command, description, expected in [
        ("Start", "x", "Bot_command_invalid"),
        ("start-now", "x", "Bot_command_invalid"),
        ("x" * 33, "x", "Bot_command_invalid"),
        ("start", "", "Command description must be non-empty"),
        ("start", "d" * 257, "Bot_command_description_invalid"),
    ]:
        with pytest.raises(BadRequest, match=expected):
            await bot.set_my_commands([BotCommand(command, description)])
    with pytest.raises(BadRequest, match="Invalid language code"):
        await bot.set_my_commands(english, language_code="khm")
    assert await bot.set_chat_menu_button() is True
    assert await bot.close() is True and await bot.log_out() is True


# ---------------------------------------------------------------- a real PTB Application


def build_app(api: FakeBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    """A tiny bot: /start offers a button, the button edits the message, text is echoed."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("English", callback_data="en")]])
        await update.message.reply_html("<b>Welcome</b>", reply_markup=keyboard)

    async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Saved")
        await query.edit_message_text(f"Language: {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text.upper())

    app = Application.builder().token(TOKEN).base_url(api.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(chosen))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


async def conversation(api: FakeBotApi) -> None:
    user = await api.user(1001, "Dara", language_code="en")
    welcome = await api.ask(user, "/start")
    assert welcome.text == "Welcome" and welcome.callback_data == ["en"]
    await api.press_button(user, welcome, text="English")
    edited = await api.wait_for(lambda s: s.method == "editMessageText", timeout=3)
    assert edited.text == "Language: en" and edited.reply_markup is None
    assert [a.text for a in api.callback_answers] == ["Saved"]
    assert (await api.ask(user, "where is my passport?")).text == "WHERE IS MY PASSPORT?"
    await api.wait_idle(quiet=0.1)


@pytest.mark.asyncio
async def test_application_long_polling(api: FakeBotApi) -> None:
    app = build_app(api)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            await conversation(api)
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.calls("deleteWebhook")  # PTB clears any webhook before polling
    assert api.pending_updates == []


@pytest.mark.asyncio
async def test_application_webhook(api: FakeBotApi) -> None:
    with socket.socket() as probe:  # a free port for PTB's own webhook server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = build_app(api)
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{port}/telegram",
            secret_token="govbot-secret",
        )
        await app.start()
        try:
            assert api.webhook_info()["url"] == f"http://127.0.0.1:{port}/telegram"
            await conversation(api)
        finally:
            await app.updater.stop()
            await app.stop()
    assert {d.secret_header for d in api.webhook_deliveries} == {"govbot-secret"}
    assert all(d.status == 200 for d in api.webhook_deliveries)


# ---------------------------------------------------------------- helpers and parser


@pytest.mark.asyncio
async def test_wait_helpers(api: FakeBotApi, bot: Bot) -> None:
    user = await started_user(api)
    mark = api.mark()

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(user.id, "first")
        await bot.send_message(user.id, "second")

    task = asyncio.create_task(reply_later())
    second = await api.wait_for(lambda s: s.text == "second", timeout=2, since=mark)
    assert second.message_id == 3  # /start was message 1 in this chat
    assert [s.text for s in await api.wait_for(2, since=mark)] == ["first", "second"]
    await task
    with pytest.raises(TimeoutError, match="last sent"):
        await api.wait_for(lambda s: s.text == "never", timeout=0.2)
    assert [m.text for m in api.messages_in(user)] == ["/start", "first", "second"]


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>a</b><strong>b</strong>", "ab", [("bold", 0, 1), ("bold", 1, 1)]),
        ("😀<i>x</i>", "😀x", [("italic", 2, 1)]),
        (
            "<u>u</u><ins>i</ins><s>s</s><del>d</del>",
            "uisd",
            [
                ("underline", 0, 1),
                ("underline", 1, 1),
                ("strikethrough", 2, 1),
                ("strikethrough", 3, 1),
            ],
        ),
        ("<code>&lt;b&gt;</code>", "<b>", [("code", 0, 3)]),
        ("<blockquote>q</blockquote>", "q", [("blockquote", 0, 1)]),
        ("<tg-spoiler>s</tg-spoiler>", "s", [("spoiler", 0, 1)]),
        ("&#x1F600;&#65;&quot;", '😀A"', []),
        ("  <b>trim</b>\n", "trim", [("bold", 0, 4)]),
    ],
)
def test_html_parser(html: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed = parse_html(html)
    assert parsed.text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed.entities] == entities


def test_html_parser_leniency_and_links() -> None:
    assert parse_html("fish & chips", strict=False).text == "fish & chips"
    with pytest.raises(EntityParseError):
        parse_html("fish & chips")
    dropped = parse_html('<a href="http://localhost/x">here</a>')
    assert dropped.entities == [] and dropped.warnings
    assert check_url("https://www.evisa.gov.kh/") is None
    assert check_url("https://t.me/govbot_test_bot?start=evisa-apply") is None
    assert check_url("http://minio:9000/file") == "Wrong HTTP URL"
    assert check_url("javascript:alert(1)") == "Unsupported URL protocol"
    assert check_url("example.org/path") is None  # Telegram assumes http://


def test_standalone_server_prints_its_root() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeapi", "--port", "0", "--token", TOKEN],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        root = process.stdout.readline().strip()
        assert root.startswith("http://127.0.0.1:")

        async def probe() -> dict[str, Any]:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{root}/bot{TOKEN}/getMe") as response,
            ):
                return dict(await response.json())

        assert asyncio.run(probe())["result"]["username"] == "govbot_test_bot"
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_refuses_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FakeBotApi(TOKEN, host="0.0.0.0")
