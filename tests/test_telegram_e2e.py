"""The whole Telegram bot, end to end: the real PTB Application over HTTP against a strict fake
Bot API server on 127.0.0.1. Each scenario asserts what a user would see."""

from __future__ import annotations

import asyncio
import re
import socket
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.assistant import Assistant
from bot.config import Settings
from bot.conversation import Conversation
from bot.telegram.app import (
    GUARD,
    _post_init,
    build_application,
    webhook_secret,
)
from bot.telegram.polling import polling
from bot.web.app import create_app
from bot.web.server import web_server, webhook_route
from tests.fakeapi import FakeBotApi

TOKEN = "123456:TEST-token-never-logged"
EDITOR_ID = 777
KHMER = re.compile("[\u1780-\u17ff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Names that stay in Latin script inside Khmer text (services as people see them).
NAMES = {"Visa", "Arrival", "CamDigiKey", "Bakong", "KHQR", "Telegram", "English", "ICT", "Tax",
         "evisa", "gov", "www", "https", "termcondition", "aspx", "verify", "CamDX", "menu",
         "language", "privacy", "forget", "USD", "US"}


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    webhook: bool = False,
    request_timeout: float | None = None,
    pace: float | None = None,
    app_options: dict | None = None,
    **fake_options,
):
    """Fake API + the bot's Application, polling (or webhook) until the block ends.

    `request_timeout` shortens PTB's timeouts (to meet hanging servers quickly); `pace` sets
    the flood guard's seconds per message for a flooding user; `app_options` go to
    `build_application` (rate limits and the announcement job, for the broadcast tests).
    The settings' staff chat, office hours and the rest are kept.
    """
    async with FakeBotApi(TOKEN, **fake_options) as api:
        settings = Settings(**{**settings.__dict__, "token": TOKEN, "api_url": api.root,
                               "secret": "test-secret", "editors": frozenset({EDITOR_ID})})
        assistant = Assistant.open(settings)
        conversation = Conversation.for_settings(assistant, settings)
        app = build_application(settings, conversation, request_timeout=request_timeout,
                                **(app_options or {}))
        if pace is not None:
            app.bot_data[GUARD].pace = pace
        await app.initialize()
        await _post_init(app)
        await app.start()
        try:
            if webhook:
                port = free_port()
                secret = webhook_secret(settings)
                server = web_server(
                    create_app(conversation, settings, [webhook_route(app, "telegram", secret)]),
                    "127.0.0.1", port)
                serving = asyncio.create_task(server.serve())
                while not server.started:
                    await asyncio.sleep(0.01)
                await app.bot.set_webhook(f"http://127.0.0.1:{port}/telegram",
                                          secret_token=secret)
                try:
                    yield api, assistant
                finally:
                    server.should_exit = True
                    await serving
            else:
                async with polling(app, long_poll=1):
                    yield api, assistant
        finally:
            if app.updater.running:
                await app.updater.stop()
            await app.stop()
            await app.shutdown()


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def khmer_only(text: str) -> bool:
    """Khmer text with no English words except service names and links."""
    return bool(KHMER.search(text)) and not (set(LATIN_WORD.findall(text)) - NAMES)


@pytest.mark.asyncio
async def test_khmer_first_time_user_full_conversation(settings):
    async with running_bot(settings) as (api, assistant):
        user = await api.user(1001, "សុខា", language_code="km")
        await api.send_command(user, "start")
        [welcome] = await api.wait_for(1)
        assert khmer_only(welcome.text)
        assert "English" in welcome.button_texts  # the one-tap switch

        first = await api.ask(user, "ធ្វើ e-Visa យ៉ាងម៉េច")
        assert first.html.startswith("<b>ការស្នើសុំ e-Visa</b>")
        assert khmer_only(first.text)
        assert "គេហទំព័រផ្លូវការ" in first.button_texts  # official site, as a URL button
        assert any(b.get("url") == "https://www.evisa.gov.kh/" for b in first.buttons)
        assert "ពិនិត្យនៅថ្ងៃទី ២០ វិច្ឆិកា ២០២៦" in first.text  # Babel date, Khmer digits

        second = await api.ask(user, "វីសាប៉ុន្មានលុយ")
        assert "តម្លៃ e-Visa" in second.text
        third = await api.ask(user, "ធ្វើកាតខ្មែរនៅណា")
        assert "អត្តសញ្ញាណប័ណ្ណ" in third.text

        # tap the related entry under the first answer
        since = api.mark()
        await api.press_button(user, first, "e:evisa-fees")
        shown = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        assert shown.html.startswith("<b>តម្លៃ e-Visa</b>")

        # feedback: a toast in Khmer, stored in the database
        await api.press_button(user, third, "f+:id-card-apply")
        await api.wait_until(lambda: len(api.callback_answers) == 2, 5)
        assert KHMER.search(api.callback_answers[-1].text)
        assert assistant.db["feedback"].count == 1

        # switch to English: every later reply is English
        since = api.mark()
        await api.send_command(user, "language")
        choice = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        await api.press_button(user, choice, "l:en")
        await api.wait_for(lambda s: "I will answer in English." in (s.text or ""), since=since)
        english = await api.ask(user, "ធ្វើ e-Visa យ៉ាងម៉េច")
        assert english.html.startswith("<b>Apply for a Cambodia e-Visa</b>")
        assert not KHMER.search(english.text)


@pytest.mark.asyncio
async def test_suggestions_and_none_of_these(settings):
    async with running_bot(settings) as (api, assistant):
        user = await api.user(1002, "Dara", language_code="en")
        reply = await api.ask(user, "what age")  # close to an entry, not close enough to answer
        assert reply.text == "Did you mean:"
        assert reply.button_texts == ["Get a Khmer national ID card", "None of these"]
        since = api.mark()
        await api.press_button(user, reply, text="None of these")
        fallback = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        assert fallback.text.startswith("Sorry, I don't have a reliable answer")
        assert assistant.db.execute(
            "select count(*) from queries where status = 'rejected'").fetchone()[0] == 1


@pytest.mark.asyncio
async def test_english_user_opens_a_deep_link(settings):
    async with running_bot(settings) as (api, _):
        user = await api.user(1003, "Alice", language_code="en-GB")
        await api.send_command(user, "start", "evisa-fees")
        [reply] = await api.wait_for(1)
        assert reply.html.startswith("<b>How much the e-Visa costs</b>")
        assert "Checked on 20 November 2026" in reply.text
        assert not KHMER.search(reply.text)


@pytest.mark.asyncio
async def test_a_sticker_gets_a_text_only_notice_in_the_users_language(settings):
    async with running_bot(settings) as (api, _):
        user = await api.user(1004, "ស្រីនាង", language_code="km")
        await api.send_sticker(user)
        [reply] = await api.wait_for(1)
        assert reply.text == "ខ្ញុំអាចអានបានតែសំណួរជាអក្សរប៉ុណ្ណោះ។ សូមវាយសំណួររបស់លោកអ្នក។"


@pytest.mark.asyncio
async def test_group_answers_only_when_addressed(settings):
    async with running_bot(settings, privacy_mode=False) as (api, _):
        alice = await api.user(1005, "Alice", language_code="en")
        group = await api.group(-500, "Travellers", members=[alice])
        await api.send_text(alice, "anyone know the evisa fee?", group)
        await api.wait_idle()
        assert api.bot_messages(group) == []
        since = api.mark()
        await api.send_text(alice, f"@{api.bot_user['username']} how much is the evisa", group)
        reply = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        assert reply.chat_id == group.id and "How much the e-Visa costs" in reply.text


@pytest.mark.asyncio
async def test_inline_query_lists_answers_to_share(settings):
    async with running_bot(settings) as (api, _):
        user = await api.user(1006, "Bob", language_code="en")
        await api.inline_query(user, "evisa fee")
        await api.wait_until(lambda: api.inline_answers, 5)
        answer = api.inline_answers[-1]
        assert answer.titles[0] == "How much the e-Visa costs"
        content = answer.results[0]["input_message_content"]
        assert content["parse_mode"] == "HTML" and "US$30" in content["message_text"]


@pytest.mark.asyncio
async def test_forget_deletes_everything_about_the_user(settings):
    async with running_bot(settings) as (api, assistant):
        user = await api.user(1007, "Chan", language_code="en")
        other = await api.user(1008, "Dina", language_code="en")
        await api.ask(user, "evisa fee")
        await api.ask(other, "evisa fee")
        db = assistant.db
        assert db["queries"].count == 2 and db["users"].count == 2
        confirm = await api.ask(user, "/forget")
        since = api.mark()
        await api.press_button(user, confirm, "x:yes")
        done = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        assert done.text.startswith("Done: everything")
        assert db["queries"].count == 1 and db["users"].count == 1
        assert db["feedback"].count == 0
        # nothing that identifies a person is stored, only hashes
        for row in db["users"].rows:
            assert str(user.id) not in row["user_hash"] and str(other.id) not in row["user_hash"]


@pytest.mark.asyncio
async def test_commands_are_listed_in_both_languages(settings):
    async with running_bot(settings) as (api, _):
        en = api.commands_for("default", "")
        km = api.commands_for("default", "km")
        assert [c["command"] for c in en] == ["menu", "language", "help", "privacy", "forget",
                                              "human", "subscriptions"]
        assert en[0]["description"] == "Browse topics"
        assert km[0]["description"] == "មើលប្រធានបទ"


@pytest.mark.asyncio
async def test_menu_navigation_edits_the_menu_in_place(settings):
    async with running_bot(settings) as (api, _):
        user = await api.user(1009, "Ann", language_code="en")
        menu = await api.ask(user, "/menu")
        assert "Visiting Cambodia" in menu.button_texts
        since = api.mark()
        await api.press_button(user, menu, text="Visiting Cambodia")
        edited = await api.wait_for(lambda s: s.method == "editMessageText", since=since)
        assert edited.message_id == menu.message_id and "e-Visa" in edited.button_texts


@pytest.mark.asyncio
async def test_forged_callback_data_is_ignored(settings):
    async with running_bot(settings) as (api, assistant):
        user = await api.user(1010, "Eve", language_code="en")
        msg = await api.ask(user, "evisa fee")
        for forged in ("f+:no-such-entry", "x" * 64, "e:../../etc", "c:<b>"):
            await api.press_button(user, msg, forged, forge=True)
        await api.wait_idle()
        assert assistant.db["feedback"].count == 0
        assert len(api.callback_answers) == 4  # each press answered, nothing else sent


@pytest.mark.asyncio
async def test_webhook_mode_answers_and_refuses_requests_without_the_secret(settings):
    async with running_bot(settings, webhook=True) as (api, _):
        user = await api.user(1011, "Web", language_code="en")
        reply = await api.ask(user, "evisa fee")
        assert "How much the e-Visa costs" in reply.text
        url = api.webhook_info()["url"]
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json={"update_id": 1}) as response:
                assert response.status == 403
            async with session.post(url, json={"update_id": 2}, headers={
                    "X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                assert response.status == 403


@pytest.mark.asyncio
async def test_editor_closes_a_gap_and_the_next_user_gets_the_answer(settings):
    async with running_bot(settings) as (api, assistant):
        citizen = await api.user(1101, "Citizen", language_code="en")
        editor = await api.user(EDITOR_ID, "Editor", language_code="en")
        question = "where can I pay the visa money"
        first = await api.ask(citizen, question)
        assert first.text.startswith("Sorry") or first.text == "Did you mean:"
        if first.text == "Did you mean:":
            since = api.mark()
            await api.press_button(citizen, first, text="None of these")
            await api.wait_for(lambda s: s.method == "sendMessage", since=since)

        since = api.mark()
        await api.send_command(editor, "gaps")
        [heading, gap] = await api.wait_for(2, since=since)
        assert heading.text == "Most asked questions without an answer"
        assert gap.text.startswith(f"“{question}”")
        attach = next(d for d in gap.callback_data if d.endswith(":evisa-fees"))
        since = api.mark()
        await api.press_button(editor, gap, attach)
        added = await api.wait_for(lambda s: s.method == "sendMessage", since=since)
        assert added.text == ("Added. From now on this question is answered with "
                              "“How much the e-Visa costs”.")

        again = await api.ask(citizen, question)
        assert again.text.startswith("How much the e-Visa costs")
        assert assistant.db.execute(
            "select action from revisions where entry_id = 'evisa-fees' order by id desc"
        ).fetchone()[0] == "question-added"


@pytest.mark.asyncio
async def test_editor_commands_are_invisible_to_everyone_else(settings, caplog):
    async with running_bot(settings) as (api, _):
        stranger = await api.user(1102, "Stranger", language_code="en")
        reply = await api.ask(stranger, "/gaps")
        help_reply = await api.ask(stranger, "/help")
        assert reply.text == help_reply.text  # the ordinary reply: nothing revealed
        msg = await api.ask(stranger, "evisa fee")
        await api.press_button(stranger, msg, "gd:0123456789", forge=True)
        await api.wait_idle()
        assert "refused editor action" in caplog.text


@pytest.mark.asyncio
async def test_stats_sends_figures_and_a_chart(settings):
    async with running_bot(settings) as (api, _):
        editor = await api.user(EDITOR_ID, "Editor", language_code="km")
        since = api.mark()
        await api.send_command(editor, "stats")
        [figures, chart] = await api.wait_for(2, since=since)
        assert figures.text.startswith("ការប្រើប្រាស់")
        assert chart.method == "sendPhoto" and "ពណ៌បៃតង" in chart.text


@pytest.mark.asyncio
async def test_a_mention_of_a_similarly_named_bot_is_not_for_us(settings):
    async with running_bot(settings, privacy_mode=False) as (api, _):
        alice = await api.user(1103, "Alice", language_code="en")
        group = await api.group(-501, "Travellers", members=[alice])
        await api.send_text(alice, f"@{api.bot_user['username']}_helper evisa fee", group)
        await api.wait_idle()
        assert api.bot_messages(group) == []
