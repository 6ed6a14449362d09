"""Subscriptions and the outbox: who gets what after an import, reminders of dates, and a queue
that survives failures and restarts (marked sent only once Telegram took a message)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from telegram.error import Forbidden, NetworkError

from bot.assistant import Assistant
from bot.cli import main
from bot.conversation import Conversation, Sender
from bot.kb.csvfile import write_csv
from bot.kb.export import write_folder
from bot.kb.files import read_folder
from bot.kb.importer import import_knowledge
from bot.kb.validate import validate
from bot.officehours import CAMBODIA
from bot.store import outbox
from bot.store.db import open_db
from bot.store.knowledge import read_entries
from bot.store.outbox import DEADLINE, OPENS, UPDATE, due_reminders
from bot.telegram import delivery
from bot.telegram.broadcast import Broadcaster
from tests.conftest import write_entry


def _subscribe(db, people, ref: str, topic: str, lang: str = "en") -> str:
    user_hash = people.hash(ref)
    with db.atomic():
        outbox.subscribe(db, user_hash, topic)
        outbox.save_contact(db, user_hash, ref, lang)
    return user_hash


def _edit(knowledge, entry: str, old: str, new: str) -> None:
    path = next(knowledge.glob(f"*/{entry}.yaml"))
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def conversation(assistant, settings) -> Conversation:
    return Conversation.for_settings(assistant, settings)


def test_an_import_queues_one_message_per_subscriber_for_news_only(conversation, knowledge):
    db, people = conversation.assistant.db, conversation.people
    dara = _subscribe(db, people, "tg:1", "evisa")
    both = _subscribe(db, people, "tg:2", "evisa", "km")
    outbox.subscribe(db, both, "id-card")
    _subscribe(db, people, "tg:3", "id-card")

    # two changed entries in evisa, one in id-card: still one message per person
    _edit(knowledge, "evisa-fees", "US$30", "US$35")
    _edit(knowledge, "evisa-apply", "Apply online", "Apply on the internet")
    _edit(knowledge, "id-card-apply", "From age 15", "From 15")
    result = import_knowledge(db, knowledge, "sokha")
    assert result.notified == 3
    rows = {r["user_hash"]: r for r in db["notifications"].rows}
    assert sorted(rows[dara]["entries"].strip("[]").replace('"', "").split(", ")) == [
        "evisa-apply", "evisa-fees"]
    assert rows[both]["lang"] == "km" and "id-card-apply" in rows[both]["entries"]

    # a new question wording, a new source, a review date: not news
    _edit(knowledge, "evisa-fees", "    - evisa fee\n", "    - evisa fee\n    - visa charge\n")
    _edit(knowledge, "evisa-fees", "reviewed: 2026-11-20", "reviewed: 2026-11-21")
    assert import_knowledge(db, knowledge, "sokha").notified == 0
    # the same import again changes nothing; --no-notify style imports queue nothing
    assert import_knowledge(db, knowledge, "sokha").notified == 0
    _edit(knowledge, "evisa-fees", "US$35", "US$40")
    assert import_knowledge(db, knowledge, "sokha", notify=False).notified == 0
    assert db["notifications"].count == 3


def test_unsubscribing_stops_what_is_queued_and_forgets_the_chat(conversation, knowledge):
    db, people = conversation.assistant.db, conversation.people
    user_hash = _subscribe(db, people, "tg:5", "evisa")
    _edit(knowledge, "evisa-fees", "US$30", "US$35")
    import_knowledge(db, knowledge, "cli")
    [pending] = outbox.pending(db)
    assert conversation.notification(pending) is not None
    outbox.unsubscribe(db, user_hash, "evisa")
    assert outbox.pending(db) == [] and outbox.contact(db, user_hash) is None


def test_the_message_is_short_in_the_subscribers_language_with_links(conversation, knowledge):
    db, people = conversation.assistant.db, conversation.people
    _subscribe(db, people, "tg:6", "evisa", "km")
    _edit(knowledge, "evisa-fees", "US$30", "US$35")
    import_knowledge(db, knowledge, "cli")
    conversation.assistant.refresh()
    [pending] = outbox.pending(db)
    reply = conversation.notification(pending)
    assert reply.blocks[0].text.startswith("🔔 ព័ត៌មានថ្មី")
    buttons = [b for row in reply.buttons for b in row]
    assert buttons[0].start == "evisa-fees" and buttons[0].label == "📖 តម្លៃ e-Visa"
    assert buttons[-1].action == "s-:evisa"


def test_reminders_a_week_before_and_the_day_before(assistant):
    [entry] = [e for e in read_entries(assistant.db) if e.id == "evisa-fees"]
    dated = replace(entry, opens=date(2027, 3, 10), deadline=date(2027, 3, 20))
    due = lambda day: [(kind, key.rsplit(":", 1)[1]) for key, kind, _ in  # noqa: E731
                       due_reminders([dated], day)]
    assert due(date(2027, 3, 1)) == []
    assert due(date(2027, 3, 3)) == [(OPENS, "7")]
    assert due(date(2027, 3, 9)) == [(OPENS, "1")]
    assert due(date(2027, 3, 10)) == [(OPENS, "1")]  # on the day: the same reminder, not twice
    assert due(date(2027, 3, 13)) == [(DEADLINE, "7")]
    assert due(date(2027, 3, 21)) == []
    draft = replace(dated, status="draft")
    assert due_reminders([draft], date(2027, 3, 9)) == []


def test_remind_queues_each_reminder_once_in_the_daytime(settings, knowledge):
    _edit(knowledge, "evisa-fees", "expires: null", "expires: null\ndeadline: 2026-12-05")
    assistant = Assistant.open(settings, today=lambda: date(2026, 12, 1))
    conversation = Conversation.for_settings(assistant, settings)
    _subscribe(assistant.db, conversation.people, "tg:7", "evisa")
    night = datetime(2026, 12, 1, 23, 0, tzinfo=CAMBODIA)
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=CAMBODIA)
    assert conversation.subscriptions.remind(night) == 0
    assert conversation.subscriptions.remind(morning) == 1
    assert conversation.subscriptions.remind(morning + timedelta(hours=1)) == 0
    [pending] = outbox.pending(assistant.db)
    assert pending.kind == DEADLINE
    reply = conversation.notification(pending)
    assert reply.blocks[0].text == "⏰ The deadline for “How much the e-Visa costs” is " \
                                   "5 December 2026."


def test_dates_are_validated(knowledge):
    _edit(knowledge, "evisa-fees", "expires: null",
          "expires: null\nopens: 2027-03-10\ndeadline: 2027-03-01")
    _edit(knowledge, "evisa-apply", "expires: null", "expires: null\nopens: soon")
    problems = {(p.path.stem, p.field): p.message for p in validate(read_folder(knowledge)).errors}
    assert problems[("evisa-fees", "deadline")] == "2027-03-01 is before the opening date " \
                                                   "2027-03-10"
    assert problems[("evisa-apply", "opens")] == "date must be YYYY-MM-DD, or left out (got soon)"


class StubBot:
    """Just enough of telegram.Bot for the broadcaster: records sends, fails on request."""

    username = "govbot_test_bot"

    def __init__(self, fail=None) -> None:
        self.sent: list[int] = []
        self.fail = fail or (lambda chat_id, n: None)

    async def send_message(self, chat_id, text, **kwargs):
        error = self.fail(chat_id, len(self.sent))
        if error is not None:
            raise error
        await asyncio.sleep(0)
        self.sent.append(chat_id)
        return SimpleNamespace(message_id=len(self.sent))


@pytest.mark.asyncio
async def test_the_queue_resumes_after_a_failure_and_a_restart(settings, knowledge, monkeypatch):
    monkeypatch.setattr(delivery, "ATTEMPTS", 2)
    monkeypatch.setattr(delivery, "FIRST_PAUSE", 0.001)
    assistant = Assistant.open(settings)
    conversation = Conversation.for_settings(assistant, settings)
    db, people = assistant.db, conversation.people
    for i in range(120):
        _subscribe(db, people, f"tg:{1000 + i}", "evisa")
    blocked = people.hash("tg:1005")
    _edit(knowledge, "evisa-fees", "US$30", "US$35")
    assert import_knowledge(db, knowledge, "cli").notified == 120

    # the network dies after 40 messages: the rest stay queued (nothing marked wrongly)
    def flaky(chat_id, sent):
        if chat_id == 1005:
            return Forbidden("Forbidden: bot was blocked by the user")
        return NetworkError("connection reset") if sent >= 40 else None

    first = StubBot(flaky)
    await Broadcaster(conversation, rate=1000, concurrency=4).run(first)
    counts = outbox.counts(db)
    assert counts["sent"] == len(first.sent) >= 40
    assert counts.get("pending", 0) == 120 - len(first.sent) - 1
    assert outbox.topics_of(db, blocked) == []  # who blocked the bot is unsubscribed

    # a new process on the same file sends the rest, once each
    reopened = Assistant(open_db(settings.db_path))
    second = StubBot()
    again = Conversation.for_settings(reopened, settings)
    await Broadcaster(again, rate=1000, concurrency=4).run(second)
    assert outbox.counts(reopened.db) == {"sent": 119, "dropped": 1}
    assert sorted(first.sent + second.sent) == sorted(1000 + i for i in range(120) if i != 5)


@pytest.mark.asyncio
async def test_a_message_failing_for_ever_is_given_up_after_its_attempts(assistant, settings,
                                                                        knowledge, monkeypatch):
    monkeypatch.setattr(delivery, "ATTEMPTS", 1)
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 3)
    conversation = Conversation.for_settings(assistant, settings)
    _subscribe(assistant.db, conversation.people, "tg:9", "evisa")
    outbox.enqueue(assistant.db, "test:1", UPDATE, [assistant.snapshot.entries["evisa-fees"]])
    down = StubBot(lambda chat_id, sent: NetworkError("down"))
    broadcaster = Broadcaster(conversation, rate=1000)
    for _ in range(3):
        await broadcaster.run(down)
    assert outbox.counts(assistant.db) == {"failed": 1}


def test_subscribing_needs_a_private_chat_and_a_followable_topic(conversation):
    private = Sender("tg:21", "en", "tg:21")
    group = Sender("tg:21", "en", "tg:-500")
    assert conversation.action(group, "s+:evisa").replies[0].blocks[0].text.startswith(
        "Please write to me in a private chat")
    assert conversation.action(private, "s+:about-bot").notice is None  # not a followable topic
    assert conversation.action(private, "s+:evisa").notice.startswith("Done")
    assert conversation.action(private, "s+:evisa").notice.startswith("You already get")
    listing = conversation.command(private, "subscriptions")
    assert [b.action for row in listing.replies[0].buttons for b in row] == ["sx:evisa"]
    removed = conversation.action(private, "sx:evisa")
    assert removed.replace and removed.replies[0].blocks[0].text.startswith("You have no")
    assert conversation.assistant.db["contacts"].count == 0  # nothing kept to reach them


def test_kb_import_says_how_many_subscribers_will_hear_and_can_stay_quiet(
        conversation, settings, knowledge, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(knowledge))
    _subscribe(conversation.assistant.db, conversation.people, "tg:31", "evisa")
    _edit(knowledge, "evisa-fees", "US$30", "US$35")
    quiet = CliRunner().invoke(main, ["kb", "import", "--no-notify"])
    assert "changed 1" in quiet.output and "queued" not in quiet.output
    _edit(knowledge, "evisa-fees", "US$35", "US$40")
    loud = CliRunner().invoke(main, ["kb", "import"])
    assert "1 subscriber message(s) queued; the running bot sends them" in loud.output


@pytest.mark.asyncio
async def test_a_new_entry_imported_by_another_process_is_announced(settings, knowledge):
    assistant = Assistant.open(settings)  # the running bot, on knowledge version 1
    conversation = Conversation.for_settings(assistant, settings)
    _subscribe(assistant.db, conversation.people, "tg:41", "evisa")
    write_entry(knowledge, id="evisa-extension", topic="evisa", category="visitors",
                related="[]", en_title="Extend your e-Visa",
                en_answer="Ask the immigration office before it expires.",
                en_q=["extend my visa", "visa extension", "stay longer in cambodia",
                      "overstay visa", "renew tourist visa", "longer visa"],
                km_title="ការបន្តទិដ្ឋាការ", km_answer="សូមសួរការិយាល័យអន្តោប្រវេសន៍។",
                km_q=["បន្តទិដ្ឋាការ", "បន្តវីសា", "ស្នាក់នៅយូរជាងនេះ", "ហួសកំណត់ទិដ្ឋាការ",
                      "ពន្យារទិដ្ឋាការ", "bon visa"])
    assert import_knowledge(open_db(settings.db_path), knowledge, "cli").notified == 1
    bot = StubBot()
    recorded = []
    original = conversation.notification
    conversation.notification = lambda n: recorded.append(original(n)) or recorded[-1]
    await Broadcaster(conversation, rate=1000).run(bot)
    assert bot.sent == [41] and outbox.counts(assistant.db) == {"sent": 1}
    assert recorded[0].blocks[1].text == "• Extend your e-Visa"


def test_opening_and_deadline_dates_survive_yaml_and_csv_round_trips(db, knowledge, tmp_path):
    _edit(knowledge, "evisa-fees", "expires: null",
          "expires: null\nopens: 2027-03-01\ndeadline: 2027-03-31")
    import_knowledge(db, knowledge, "cli")
    [entry] = [e for e in read_entries(db) if e.id == "evisa-fees"]
    assert (entry.opens, entry.deadline) == (date(2027, 3, 1), date(2027, 3, 31))
    write_folder(db, tmp_path / "out")
    assert "opens: 2027-03-01\ndeadline: 2027-03-31\n" in (
        tmp_path / "out" / "visitors" / "evisa-fees.yaml").read_text(encoding="utf-8")
    assert import_knowledge(db, tmp_path / "out", "cli").summary.any_change is False
    write_csv(read_entries(db), tmp_path / "kb.csv")
    assert import_knowledge(db, tmp_path / "kb.csv", "cli").summary.any_change is False
