"""The handover core, without Telegram: office-hours honesty, who may close a request, what
happens when a chat refuses a message, /forget, the figures, and the terminal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.conversation import Conversation, Sender
from bot.officehours import CAMBODIA
from bot.replies import Outcome
from bot.store import handovers
from bot.store.knowledge import now_iso

STAFF = "tg:-100777"
SATURDAY_NOON = datetime(2026, 5, 9, 12, 0, tzinfo=CAMBODIA)
MONDAY_TEN = datetime(2026, 5, 11, 10, 0, tzinfo=CAMBODIA)


@pytest.fixture
def conversation(assistant, settings) -> Conversation:
    staffed = replace(settings, staff_chat=-100777, office_hours="Mon-Fri 08:00-17:00",
                      staff_lang="en")
    return Conversation.for_settings(assistant, staffed)


def _texts(outcome: Outcome) -> str:
    return "\n".join(b.text for r in outcome.replies for b in r.blocks)


def _open(conversation: Conversation, ref: str, question: str, lang: str = "en") -> Outcome:
    person = Sender(ref, lang, ref)
    conversation.command(person, "human")
    return conversation.text(person, question)


def test_outside_office_hours_the_person_is_told_when_to_expect_an_answer(conversation):
    conversation.handover._clock = lambda: SATURDAY_NOON
    opened = _open(conversation, "tg:1", "ខ្ញុំបាត់សៀវភៅគ្រួសារ តើត្រូវធ្វើដូចម្តេច?", "km")
    text = _texts(opened)
    assert "ក្រៅម៉ោងធ្វើការ" in text and "ថ្ងៃច័ន្ទ ម៉ោង ០៨:០០" in text
    assert "ពីថ្ងៃច័ន្ទ ដល់ថ្ងៃសុក្រ ម៉ោង ០៨:០០–១៧:០០" in text
    [delivery] = opened.deliveries
    assert delivery.to == STAFF and "ភាសាខ្មែរ" in "\n".join(
        b.text for b in delivery.reply.blocks)


def test_in_office_hours_the_promise_comes_from_measured_answers(conversation):
    conversation.handover._clock = lambda: MONDAY_TEN
    assert "usually answers" not in _texts(_open(conversation, "tg:2", "first question"))
    db = conversation.assistant.db
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
    for i in range(3):  # three requests answered in about an hour
        case = handovers.open_case(db, f"h{i}", "en", "q", "fallback", [], in_hours=True)
        db.execute("update handovers set opened_at = ?, answered_at = ? where id = ?",
                   [an_hour_ago, now_iso(), case.id])
    assert "The team usually answers within 1 hour." in _texts(
        _open(conversation, "tg:3", "another question"))


def test_only_the_staff_chat_can_close_a_request(conversation):
    opened = _open(conversation, "tg:4", "my passport application is stuck")
    case_id = opened.deliveries[0].case
    forged = conversation.action(Sender("tg:4", "en", "tg:4"), f"hc:{case_id}")
    assert forged == Outcome()
    staff = Sender("tg:99", "en", STAFF)
    closed = conversation.action(staff, f"hc:{case_id}")
    assert closed.clear_buttons and closed.notice == "Closed."
    assert _texts(closed) == f"Request #{case_id} is closed without an answer."
    [notice] = closed.deliveries
    assert notice.to == "tg:4" and "has closed your request" in _texts(Outcome([notice.reply]))
    again = conversation.action(staff, f"hc:{case_id}")
    assert again.notice == "This request is already closed." and not again.deliveries


def test_staff_messages_that_are_not_answers_to_a_request(conversation):
    staff = Sender("tg:99", "en", STAFF)
    unrelated = conversation.text(staff, "lunch at noon?", reply_to="12345")
    assert _texts(unrelated).startswith("This message is not part of a request")
    # a question mentioning the bot in the staff chat, not a reply: the ordinary answer
    assert _texts(conversation.text(staff, "evisa fee")).startswith("How much the e-Visa")


def test_a_person_who_blocked_the_bot_closes_their_request(conversation):
    opened = _open(conversation, "tg:5", "question")
    case_id = opened.deliveries[0].case
    conversation.delivered(opened.deliveries[0], ["41"])
    staff = Sender("tg:99", "en", STAFF)
    relay = conversation.text(staff, "Here is the answer", reply_to="41")
    [delivery] = relay.deliveries
    assert delivery.to == "tg:5" and not relay.replies  # nothing said in the staff chat
    told = conversation.undelivered(delivery, relay)
    assert "has blocked the bot" in _texts(told)
    assert handovers.get(conversation.assistant.db, case_id).status == "closed"


def test_human_in_a_group_asks_for_a_private_chat(conversation):
    reply = conversation.command(Sender("tg:6", "en", "tg:-500"), "human")
    assert _texts(reply).startswith("Please write to me in a private chat")


def test_forget_closes_the_request_and_deletes_its_text(conversation):
    opened = _open(conversation, "tg:7", "my private problem")
    case_id = opened.deliveries[0].case
    conversation.action(Sender("tg:7", "en", "tg:7"), "x:yes")
    case = handovers.get(conversation.assistant.db, case_id)
    assert (case.status, case.question, case.user_hash) == ("closed", "", None)
    assert conversation.assistant.db["contacts"].count == 0


def test_stats_show_requests_to_staff(conversation):
    opened = _open(conversation, "tg:8", "question")
    conversation.delivered(opened.deliveries[0], ["50"])
    conversation.text(Sender("tg:99", "en", STAFF), "answer", reply_to="50")
    stats = conversation.desk.stats("en")
    text = _texts(stats)
    assert ("Requests to staff, last 7 days: 1 opened, 1 answered, 0 closed; median time to "
            "the first answer: 1 minute.") in text
    assert "Subscribers: 0; update messages waiting to be sent: 0." in text


def test_the_terminal_shows_what_would_go_to_the_staff_chat(settings, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    monkeypatch.setenv("GOVBOT_STAFF_CHAT", "-100777")
    monkeypatch.setenv("GOVBOT_OFFICE_HOURS", "always")
    result = CliRunner().invoke(main, ["chat"], input="/human\nwhere is my tax refund\n2\n")
    assert result.exit_code == 0, result.output
    assert "--- would be sent to tg:-100777 ---" in result.output
    assert "│ where is my tax refund" in result.output


def test_the_terminal_subscribes_and_shows_the_update_after_a_reload(settings, knowledge,
                                                                      monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    runner = CliRunner()
    first = runner.invoke(main, ["chat", "--editor"], input="evisa fee\n")
    notify = next(line for line in first.output.splitlines() if "Notify me" in line)
    number = notify.strip().split("]")[0].lstrip("[")
    fees = knowledge / "visitors" / "evisa-fees.yaml"
    fees.write_text(fees.read_text(encoding="utf-8").replace("US$30", "US$35"), encoding="utf-8")
    second = runner.invoke(main, ["chat", "--editor"], input=f"evisa fee\n{number}\n/reload\n")
    assert "(Done: I will send you a message" in second.output
    assert "1 subscriber(s) will get a message" in second.output
    assert "--- update message for you ---" in second.output
    assert "📖 How much the e-Visa costs: /start evisa-fees" in second.output


def test_an_editor_gets_the_id_of_the_chat_to_configure(assistant, settings):
    conversation = Conversation.for_settings(assistant, replace(settings, editors=frozenset({42})))
    in_group = conversation.command(Sender("tg:42", "en", "tg:-1001234567890"), "chatid")
    assert _texts(in_group).startswith("This chat's id is -1001234567890.")
    stranger = conversation.command(Sender("tg:43", "en", "tg:-1001234567890"), "chatid")
    assert _texts(stranger) == _texts(conversation.command(Sender("tg:43", "en"), "help"))


def test_another_command_cancels_the_human_prompt(conversation):
    person = Sender("tg:44", "en", "tg:44")
    conversation.command(person, "human")
    conversation.command(person, "menu")
    answer = conversation.text(person, "evisa fee")
    assert not answer.deliveries and _texts(answer).startswith("How much the e-Visa costs")


@pytest.mark.parametrize("browse", [
    lambda c, p: c.start(p, "evisa-apply"),
    lambda c, p: c.command(p, "start", "evisa-apply"),
    lambda c, p: c.action(p, "m"),
    lambda c, p: c.action(p, "e:evisa-fees"),
])
def test_browsing_after_human_cancels_the_prompt(conversation, browse):
    person = Sender("tg:55", "en", "tg:55")
    conversation.command(person, "human")
    browse(conversation, person)
    after = conversation.text(person, "how much is the evisa")
    assert after.deliveries == []  # answered by the bot, not sent to staff
    assert _texts(after).startswith("How much the e-Visa costs")
