"""Hostile and odd input, generated: any text gets exactly one well-formed reply, never a crash.

"Well-formed" is judged by the strict Telegram-HTML parser of the fake Bot API server: every
message the Telegram adapter would send must parse, fit 4,096 characters, and show the user's
text escaped (never as markup).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assistant import Assistant
from bot.conversation import TEXT, Block, Conversation, Reply, Sender
from bot.store.people import People
from bot.telegram.render import MAX_MESSAGE, to_messages
from tests.fakeapi import parse_html, utf16_len

NASTY = st.sampled_from([
    "\u202e", "\u202d", "\u200f", "\u200b", "\ufeff", "\u0000", "\u001b[31m", "\u0301" * 50,
    "<b>", "</i>", "<a href='javascript:alert(1)'>x</a>", "&amp;", "&", "<", ">",
    "*bold* _it_ [link](http://x)", "'; DROP TABLE queries; --", "\" OR 1=1 --",
    "ស្រ្តី", "ខែ្មរ", "e-Visa", "😀👍🏽🇰🇭", "\ud800", "\udfff", "%s %d {0} {url}",
])
ANY_TEXT = st.lists(st.one_of(st.text(max_size=200), NASTY), max_size=30).map("".join)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def conversation(settings) -> Conversation:
    assistant = Assistant.open(settings)
    return Conversation(assistant, People(assistant.db, "secret"))


def well_formed(reply: Reply) -> None:
    for message in to_messages(reply):
        parsed = parse_html(message.html)  # raises like Telegram would
        assert 0 < utf16_len(parsed.text) <= MAX_MESSAGE


@SETTINGS
@given(text=ANY_TEXT)
def test_any_question_gets_exactly_one_well_formed_reply(conversation, text):
    outcome = conversation.text(Sender("tg:7", "km"), text[:4096])
    assert len(outcome.replies) == 1
    well_formed(outcome.replies[0])


@SETTINGS
@given(payload=st.one_of(ANY_TEXT, st.sampled_from([
    "e:no-such-entry", "e:evisa-fees", "f+:evisa-fees", "f-:" + "a" * 48, "f+:" + "a" * 49,
    "c:visitors", "t:evisa", "l:km", "l:fr", "x:yes", "x:no", "m", "n", "e:", "e:../x",
])))
def test_any_callback_data_is_answered_or_ignored_without_error(conversation, payload):
    outcome = conversation.action(Sender("tg:8", "en"), payload)
    assert len(outcome.replies) <= 1
    for reply in outcome.replies:
        well_formed(reply)


@SETTINGS
@given(payload=ANY_TEXT)
def test_any_deep_link_payload_gets_one_reply(conversation, payload):
    outcome = conversation.start(Sender("tg:9", "en"), payload)
    assert len(outcome.replies) == 1
    well_formed(outcome.replies[0])


def test_a_200_kb_deep_link_payload_gets_the_welcome(conversation):
    outcome = conversation.start(Sender("tg:9", "en"), "e:" + "x" * 200_000)
    assert outcome.replies[0].blocks[0].text.startswith("Hello!")


@SETTINGS
@given(text=ANY_TEXT.map(lambda t: t.encode("utf-8", "replace").decode("utf-8"))
       .filter(lambda t: t.strip() and len(t) < 2000))
def test_plain_text_is_escaped_never_interpreted(text):
    [message] = to_messages(Reply((Block(TEXT, text),)))
    # what the user sees is exactly what was written (Telegram trims outer whitespace)
    assert parse_html(message.html).text == text.strip()


@SETTINGS
@given(text=ANY_TEXT)
def test_inline_queries_never_fail(conversation, text):
    for result in conversation.inline(Sender("tg:10", "en"), text[:256]):
        well_formed(result.reply)


def test_emoji_heavy_text_is_split_by_telegram_units_not_python_characters():
    text = "😀" * 3000 + "&" * 3000  # 6,000 UTF-16 units of emoji, 15,000 of escaped HTML
    messages = to_messages(Reply((Block(TEXT, text),)))
    shown = ""
    for message in messages:
        parsed = parse_html(message.html)
        assert utf16_len(parsed.text) <= MAX_MESSAGE
        shown += parsed.text
    assert shown == text
