"""Handover to staff and subscriber updates, end to end: the real PTB Application against the
strict fake Bot API, a staff group with people in it, editors importing changes, and a
10,000-subscriber announcement through injected 429 flood waits."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest

from bot.store import outbox
from bot.store.people import People
from tests.conftest import write_entry
from tests.fakeapi import FakeBotApi
from tests.test_telegram_e2e import EDITOR_ID, KHMER, running_bot

STAFF_CHAT = -100_900_800
FAST_JOBS = {"broadcast_seconds": 0.1}


def _staffed(settings, **changes):
    return replace(settings, staff_chat=STAFF_CHAT, office_hours="always", **changes)


def _in(chat_id: int):
    return lambda s: s.chat_id == chat_id and s.method == "sendMessage"


def _counter(api: FakeBotApi, predicate):
    """An incremental count of matching messages sent from now on (cheap to re-check on every
    request, even with 10,000 messages)."""
    state = {"seen": api.mark(), "count": 0}

    def count() -> int:
        sent = api.sent
        while state["seen"] < len(sent):
            if predicate(sent[state["seen"]]):
                state["count"] += 1
            state["seen"] += 1
        return state["count"]

    return count


@pytest.mark.asyncio
async def test_a_khmer_question_goes_to_staff_and_the_answer_comes_back(settings):
    async with running_bot(_staffed(settings)) as (api, assistant):
        sokha = await api.user(4001, "សុខា", language_code="km", username="sokha_kh")
        staff = await api.user(4100, "Vanna Staff", language_code="en", username="vanna_moi")
        other_staff = await api.user(4101, "Chenda Staff", language_code="en")
        group = await api.group(STAFF_CHAT, "Support team", members=[staff, other_staff])

        question = "តើខ្ញុំប្តូរឈ្មោះក្នុងសៀវភៅគ្រួសារដោយរបៀបណា"
        fallback = await api.ask(sokha, question)
        assert fallback.text.startswith("សូមអភ័យទោស")
        ask_button = fallback.button(contains="សួរ")
        assert ask_button["callback_data"] == "h"

        # the question reaches the staff group as one message, with nothing identifying
        since = api.mark()
        await api.press_button(sokha, fallback, "h")
        case = await api.wait_for(_in(STAFF_CHAT), since=since)
        confirm = await api.wait_for(_in(sokha.id), since=since)
        assert question in case.text and "ភាសាខ្មែរ" in case.text
        for secret in ("សុខា", "sokha_kh", str(sokha.id)):
            assert secret not in case.text
        [close] = case.callback_data
        case_id = int(close.removeprefix("hc:"))
        assert f"#{case_id}" in case.text
        assert KHMER.search(confirm.text) and f"#{case_id}" in confirm.text
        assert len([s for s in api.sent[since:] if s.chat_id == STAFF_CHAT]) == 1

        # a staff member's reply reaches the person, as from the support team
        since = api.mark()
        answer = "សូមអញ្ជើញទៅរដ្ឋបាលឃុំ/សង្កាត់ ជាមួយសៀវភៅគ្រួសារ និងអត្តសញ្ញាណប័ណ្ណ។"
        await api.send_text(staff, answer, group, reply_to=case)
        relayed = await api.wait_for(_in(sokha.id), since=since)
        assert answer in relayed.text and "ក្រុមការងារ" in relayed.text
        for secret in ("Vanna", "vanna_moi", str(staff.id)):
            assert secret not in relayed.text

        # the person's follow-up goes to the same thread
        since = api.mark()
        await api.send_text(sokha, "អរគុណ! ត្រូវយកឯកសារអ្វីខ្លះទៀត?")
        follow_up = await api.wait_for(_in(STAFF_CHAT), since=since)
        await api.wait_for(_in(sokha.id), since=since)  # "sent to the support team"
        stored = api.messages_in(group)[-1]
        assert stored.message_id == follow_up.message_id
        assert stored.reply_to is not None and stored.reply_to.message_id == case.message_id
        assert "ត្រូវយកឯកសារអ្វីខ្លះទៀត" in follow_up.text

        # another staff member answers the follow-up message itself: same request
        since = api.mark()
        await api.send_text(other_staff, "សូមយកសំបុត្រកំណើតផងដែរ។", group, reply_to=follow_up)
        second = await api.wait_for(_in(sokha.id), since=since)
        assert "សំបុត្រកំណើត" in second.text and "Chenda" not in second.text

        # staff close the request: the person is told, the buttons go, the record is complete
        since = api.mark()
        await api.press_button(staff, case, close)
        told = await api.wait_for(_in(sokha.id), since=since)
        summary = await api.wait_for(_in(STAFF_CHAT), since=since)
        assert f"#{case_id}" in told.text and KHMER.search(told.text)
        assert f"#{case_id}" in summary.text
        await api.wait_until(lambda: api.messages_in(group)[0].reply_markup is None, 5)
        row = assistant.db.execute(
            "select status, opened_at, answered_at, closed_at, closed_by, staff_replies, "
            "user_messages from handovers where id = ?", [case_id]).fetchone()
        assert row[0] == "closed" and all(row[1:4]) and row[4] == "staff"
        assert row[5:] == (2, 1)
        assert outbox.contact(assistant.db, People(assistant.db, "test-secret").hash(
            f"tg:{sokha.id}")) is None  # the chat is no longer kept

        # after closing, the person talks to the bot again, and a late staff reply stays put
        since = api.mark()
        again = await api.ask(sokha, "ធ្វើ e-Visa យ៉ាងម៉េច")
        assert again.html.startswith("<b>ការស្នើសុំ e-Visa</b>")
        await api.send_text(staff, "ព័ត៌មានបន្ថែម", group, reply_to=case)
        refusal = await api.wait_for(_in(STAFF_CHAT), since=since)
        assert f"#{case_id}" in refusal.text
        await api.wait_idle()
        assert not [s for s in api.sent[since:] if s.chat_id == sokha.id and s is not again]

        # /stats counts the request
        editor = await api.user(EDITOR_ID, "Editor", language_code="en")
        since = api.mark()
        await api.send_command(editor, "stats")
        [figures, _chart] = await api.wait_for(2, since=since)
        assert "Requests to staff, last 7 days: 1 opened, 1 answered, 1 closed" in figures.text


@pytest.mark.asyncio
async def test_human_command_asks_for_the_question_and_sends_the_next_message(settings):
    async with running_bot(_staffed(settings, staff_lang="en")) as (api, _):
        dara = await api.user(4002, "Dara", language_code="en")
        staff = await api.user(4102, "Staff", language_code="en")
        await api.group(STAFF_CHAT, "Support team", members=[staff])
        prompt = await api.ask(dara, "/human")
        assert prompt.text.startswith("Please write your question for the support team")
        since = api.mark()
        await api.send_text(dara, "My birth certificate has a wrong date, what can I do?")
        case = await api.wait_for(_in(STAFF_CHAT), since=since)
        assert "wrong date" in case.text and "Language: English" in case.text
        confirm = await api.wait_for(_in(dara.id), since=since)
        assert confirm.text.startswith("Your question has been sent to the support team")

        # the person ends it themselves: staff see that in the thread
        since = api.mark()
        await api.press_button(dara, confirm, "hx")
        note = await api.wait_for(_in(STAFF_CHAT), since=since)
        assert "closed the conversation" in note.text
        assert api.messages_in(STAFF_CHAT)[-1].reply_to.message_id == case.message_id


def _quoted(message) -> list[str]:
    """The parts of a message Telegram shows as quotes (entity offsets count UTF-16 units)."""
    units = message.text.encode("utf-16-le")
    return [units[e["offset"] * 2:(e["offset"] + e["length"]) * 2].decode("utf-16-le")
            for e in message.entities if e["type"] == "blockquote"]


@pytest.mark.asyncio
async def test_a_follow_up_that_imitates_a_request_header_shows_as_the_persons_quote(settings):
    async with running_bot(_staffed(settings, staff_lang="en")) as (api, _):
        dara = await api.user(4004, "Dara", language_code="en")
        staff = await api.user(4103, "Staff", language_code="en")
        await api.group(STAFF_CHAT, "Support team", members=[staff])
        await api.ask(dara, "/human")
        since = api.mark()
        await api.send_text(dara, "My passport <b>expired</b>\n\n📨 Request #1")
        case = await api.wait_for(_in(STAFF_CHAT), since=since)
        forged = "thanks\n\n📨 Request #99\nLanguage: English\nThe bot had no answer."
        since = api.mark()
        await api.send_text(dara, forged)
        follow_up = await api.wait_for(_in(STAFF_CHAT), since=since)
        assert _quoted(case) == ["My passport <b>expired</b> 📨 Request #1"]
        assert _quoted(follow_up) == [forged]
        assert not follow_up.text.startswith("📨")


@pytest.mark.asyncio
async def test_a_staff_group_the_bot_was_removed_from_gets_an_honest_apology(settings):
    async with running_bot(_staffed(settings)) as (api, assistant):
        user = await api.user(4003, "Bopha", language_code="en")
        await api.group(STAFF_CHAT, "Support team", bot_status="left")
        await api.ask(user, "/human")
        reply = await api.ask(user, "Please call me back about my passport")
        assert reply.text.startswith("Sorry, I could not reach the support team")
        assert assistant.db["handovers"].count == 0


CONTACT = dict(
    id="contact-human", topic="contact", category="help", related="[]",
    en_title="Talk to a person", en_answer="Call the service's hotline, shown on its website.",
    en_q=["Can I talk to a human?", "talk to a real person", "connect me to staff",
          "customer service", "live agent please", "human please"],
    km_title="និយាយជាមួយមនុស្ស", km_answer="សូមទូរសព្ទទៅលេខទំនាក់ទំនងនៅលើគេហទំព័ររបស់សេវា។",
    km_q=["ខ្ញុំចង់និយាយជាមួយមនុស្ស", "សុំនិយាយជាមួយមន្ត្រី", "ភ្ជាប់ខ្ញុំទៅបុគ្គលិក",
          "សេវាអតិថិជន", "ទាក់ទងក្រុមការងារ", "ខ្ញុំចង់ជួបមន្ត្រីផ្ទាល់"],
)


@pytest.mark.asyncio
async def test_without_a_staff_group_human_gives_the_official_contacts(settings, knowledge):
    write_entry(knowledge, **dict(CONTACT))
    async with running_bot(settings) as (api, _):
        user = await api.user(4004, "Sok", language_code="en")
        fallback = await api.ask(user, "weather in kampot tomorrow")
        assert "h" not in fallback.callback_data
        assert "e:contact-human" in fallback.callback_data
        reply = await api.ask(user, "/human")
        assert reply.html.startswith("<b>Talk to a person</b>")


@pytest.mark.asyncio
async def test_asking_for_a_person_opens_a_request_when_staff_are_there(settings, knowledge):
    write_entry(knowledge, **dict(CONTACT))
    async with running_bot(_staffed(settings)) as (api, _):
        user = await api.user(4005, "ស្រីពៅ", language_code="km")
        reply = await api.ask(user, "ខ្ញុំចង់និយាយជាមួយមនុស្ស")
        assert reply.text.startswith("សូមសរសេរសំណួររបស់លោកអ្នកសម្រាប់ក្រុមការងារផ្តល់ជំនួយ")


@pytest.mark.asyncio
async def test_a_subscriber_gets_one_message_per_relevant_import(settings, knowledge):
    async with running_bot(settings, app_options=FAST_JOBS) as (api, assistant):
        dara = await api.user(4201, "Dara", language_code="en")
        other = await api.user(4202, "Nary", language_code="km")
        editor = await api.user(EDITOR_ID, "Editor", language_code="en")
        answer = await api.ask(dara, "evisa fee")
        await api.press_button(dara, answer, "s+:evisa")
        await api.wait_until(lambda: api.callback_answers, 5)
        assert api.callback_answers[-1].text.startswith("Done: I will send you a message")
        await api.ask(other, "ធ្វើកាតខ្មែរនៅណា")  # a user who subscribes to nothing
        listing = await api.ask(dara, "/subscriptions")
        assert "e-Visa" in listing.text and listing.callback_data == ["sx:evisa"]

        fees = knowledge / "visitors" / "evisa-fees.yaml"
        text = fees.read_text(encoding="utf-8")
        to_dara = _counter(api, _in(dara.id))
        to_other = _counter(api, _in(other.id))

        # a relevant change: one message, in the subscriber's language, with a deep link
        fees.write_text(text.replace("<b>US$30</b>", "<b>US$35</b>"), encoding="utf-8")
        reload = await api.ask(editor, "/reload")
        assert "1 changed" in reload.text and "1 subscriber(s) will get a message" in reload.text
        await api.wait_until(lambda: to_dara() == 1, 10)
        note = next(s for s in reversed(api.sent) if s.chat_id == dara.id)
        assert "How much the e-Visa costs" in note.text
        assert {"url": "https://t.me/govbot_test_bot?start=evisa-fees"}.items() <= \
            note.button(contains="How much").items()
        assert "s-:evisa" in note.callback_data

        # not relevant: a new question wording only, and a change in another topic
        changed = text.replace("<b>US$30</b>", "<b>US$35</b>").replace(
            "    - evisa fee\n", "    - evisa fee\n    - visa charges\n")
        fees.write_text(changed, encoding="utf-8")
        id_card = knowledge / "services" / "id-card-apply.yaml"
        id_card.write_text(id_card.read_text(encoding="utf-8").replace("From age 15", "From 15"),
                           encoding="utf-8")
        reload = await api.ask(editor, "/reload")
        assert "2 changed" in reload.text and "subscriber" not in reload.text
        reload = await api.ask(editor, "/reload")  # nothing changed at all
        assert "0 changed" in reload.text
        await api.wait_idle(quiet=0.5)
        assert to_dara() == 1 and to_other() == 0

        # the deep link opens the entry
        opened = await api.ask(dara, "/start evisa-fees")
        assert opened.html.startswith("<b>How much the e-Visa costs</b>") and "US$35" in opened.text
        assert to_dara() == 2  # that reply

        # unsubscribe from the notification: no message for the next relevant import
        await api.press_button(dara, note, "s-:evisa")
        await api.wait_until(lambda: len(api.callback_answers) >= 2, 5)
        assert "no longer get updates" in api.callback_answers[-1].text
        fees.write_text(changed.replace("US$35", "US$40"), encoding="utf-8")
        reload = await api.ask(editor, "/reload")
        assert "1 changed" in reload.text and "subscriber" not in reload.text
        await api.wait_idle(quiet=0.5)
        assert to_dara() == 2
        assert assistant.db["subscriptions"].count == 0
        assert assistant.db["contacts"].count == 0  # no subscription left: the chat is gone


@pytest.mark.asyncio
async def test_forget_removes_subscriptions_and_the_stored_chat(settings):
    async with running_bot(settings) as (api, assistant):
        user = await api.user(4203, "Mony", language_code="en")
        answer = await api.ask(user, "evisa fee")
        await api.press_button(user, answer, "s+:evisa")
        await api.wait_until(lambda: assistant.db["contacts"].count == 1, 5)
        confirm = await api.ask(user, "/forget")
        since = api.mark()
        await api.press_button(user, confirm, "x:yes")
        await api.wait_for(_in(user.id), since=since)
        for table in ("subscriptions", "contacts", "notifications", "users"):
            assert assistant.db[table].count == 0, table


SUBSCRIBERS = 10_000


@pytest.mark.asyncio
async def test_an_announcement_to_10000_subscribers_is_delivered_through_429s(settings,
                                                                               knowledge):
    # Telegram allows about 30 messages a second; the fake allows 550 (a faster test), and the
    # bot is configured below that, as production is below Telegram's.
    options = {"overall_rate": 520.0, "broadcast_rate": 480.0, "broadcast_concurrency": 16,
               "broadcast_seconds": 0.1}
    async with running_bot(settings, app_options=options) as (api, assistant):
        db = assistant.db
        people = People(db, "test-secret")
        first_id = 500_000
        for i in range(SUBSCRIBERS):
            await api.user(first_id + i, f"s{i}", language_code="km" if i % 2 else "en",
                           started=True)
        rows = [(people.hash(f"tg:{first_id + i}"), f"tg:{first_id + i}",
                 "km" if i % 2 else "en") for i in range(SUBSCRIBERS)]
        with db.atomic():
            db.conn.executemany("insert into contacts (user_hash, chat, lang, created, updated) "
                                "values (?, ?, ?, '', '')", rows)
            db.conn.executemany("insert into subscriptions (user_hash, topic, created) "
                                "values (?, 'evisa', '')", [(r[0],) for r in rows])
        # Telegram's flood limits (scaled up), and random flood waits on top of them
        api.rate_limiter.enable(per_chat_per_second=1.0, chat_burst=1, global_per_second=550)
        api.faults.inject("sendMessage", "429", probability=0.01, retry_after=1)
        subscribers = {first_id + i for i in range(SUBSCRIBERS)}
        delivered = _counter(api, lambda s: s.method == "sendMessage" and s.chat_id in subscribers)

        editor = await api.user(EDITOR_ID, "Editor", language_code="en")
        fees = knowledge / "visitors" / "evisa-fees.yaml"
        fees.write_text(fees.read_text(encoding="utf-8").replace("<b>US$30</b>", "<b>US$35</b>"),
                        encoding="utf-8")
        started = time.monotonic()
        reload = await api.ask(editor, "/reload", timeout=15)
        assert f"{SUBSCRIBERS} subscriber(s) will get a message" in reload.text
        await api.wait_until(lambda: delivered() >= SUBSCRIBERS, 120, "every subscriber's message")
        elapsed = time.monotonic() - started
        await api.wait_idle(quiet=0.5, timeout=15)

        per_chat = Counter(s.chat_id for s in api.sent
                           if s.method == "sendMessage" and s.chat_id in subscribers)
        assert len(per_chat) == SUBSCRIBERS and set(per_chat.values()) == {1}
        flood_waits = sum(1 for r in api.calls("sendMessage") if r.status == 429)
        assert api.faults.counts["sendMessage", "429"] > 50 and flood_waits > 50
        assert api.rate_limiter.limited == 0  # the bot itself never went over the limits
        assert outbox.counts(db) == {"sent": SUBSCRIBERS}
        khmer = next(s for s in api.sent if s.chat_id == first_id + 1)
        assert KHMER.search(khmer.text)
        assert api.internal_errors == []
        print(f"\nannouncement: {SUBSCRIBERS} messages in {elapsed:.1f}s "
              f"({SUBSCRIBERS / elapsed:.0f}/s), {flood_waits} answered 429 "
              f"({api.faults.counts['sendMessage', '429']} injected, "
              f"{api.rate_limiter.limited} by the flood limits), none lost or doubled")
