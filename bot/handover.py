"""Handing a question over to a person: the support team answers in a staff group chat.

The conversation core uses this module the way it uses the editors' desk: it decides everything,
and channels only carry messages. A person reaches it from a fallback ("Ask a person"), after
"None of these", with /human, or by asking to talk to someone. Their question goes to the staff
chat (`GOVBOT_STAFF_CHAT`) as one message: a request number (never a name, username, phone
number or account), the language, the question and what the bot had suggested, with a button to
close it. A staff member answers by replying to that message; the answer reaches the person as
coming from the support team. Whatever the person writes while the request is open goes to the
same thread, until staff (or the person) closes it. Every request is a record: opened, first
answered, closed (see `bot.store.handovers`).

Messages for other chats than the sender's are `Delivery` objects; the channel reports back
which messages it created (`delivered`) or that a chat refused them (`undelivered`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.assistant import ANSWER, Assistant
from bot.engine.decide import SUGGEST
from bot.i18n import LANGUAGE_NAMES, _, format_duration, gettext
from bot.officehours import OfficeHours
from bot.replies import NOTE, QUOTE, TEXT, TITLE, Block, Button, Delivery, Outcome, Reply, Sender
from bot.store import handovers as store
from bot.store import outbox
from bot.store.handovers import DRAFT, OPEN, Case
from bot.store.people import People, Profile

log = logging.getLogger(__name__)

# Button actions (parsed strictly by the conversation): send my last question, end my request
# (or cancel the prompt), and — staff only — close request N.
SEND_LAST, END, CLOSE = "h", "hx", "hc:"
# What a delivery was for.
CASE, FOLLOW_UP, PERSON_LEFT, RELAY, CLOSED_NOTICE = (
    "case", "follow-up", "person-left", "relay", "closed-notice")
MAX_QUESTION = 3000  # characters of a question shown in the staff chat (Telegram allows 4,096)
LAST_QUESTION_HOURS = 24


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(lang: str, message: str, **values: object) -> Block:
    return Block(TEXT, gettext(lang, message, **values))


class Handover:
    """Requests to staff, from the person's side and from the staff chat's side."""

    def __init__(
        self,
        assistant: Assistant,
        people: People,
        staff_chat: str | None,
        hours: OfficeHours,
        staff_lang: str = "km",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.assistant = assistant
        self.people = people
        self.staff_chat = staff_chat
        self.hours = hours
        self.staff_lang = staff_lang if staff_lang in LANGUAGE_NAMES else "km"
        self._clock = clock

    @property
    def db(self):
        return self.assistant.db

    @property
    def available(self) -> bool:
        """True when a staff chat is configured."""
        return self.staff_chat is not None

    def is_staff_chat(self, chat: str | None) -> bool:
        """True for events from the staff chat."""
        return self.staff_chat is not None and chat == self.staff_chat

    # -- the person -------------------------------------------------------------------------------

    def request(self, profile: Profile) -> Outcome:
        """/human: ask for the question, offering to send the last unanswered one."""
        lang = profile.lang
        case = store.active(self.db, profile.user_hash)
        if case is not None and case.status == OPEN:
            return Outcome([Reply((_text(lang, _(
                "Your request #{case} is open: write your message here and the support team "
                "will see it."), case=case.id),), self._end_button(lang))])
        store.start_draft(self.db, profile.user_hash, lang)
        blocks = [_text(lang, _(
            "Please write your question for the support team in one message."))]
        blocks += [Block(TEXT, line) for line in self._hours_lines(lang)]
        blocks.append(Block(NOTE, gettext(lang, PRIVACY_NOTE)))
        rows: list[tuple[Button, ...]] = []
        last = self._last_unanswered(profile.user_hash)
        if last:
            rows.append((Button(gettext(lang, _("Send: “{question}”"),
                                        question=_short(last, 28)), SEND_LAST),))
        rows.append((Button(gettext(lang, _("Cancel")), END),))
        return Outcome([Reply(tuple(blocks), tuple(rows))])

    def cancel_prompt(self, profile: Profile) -> None:
        """Forget an unanswered /human prompt (the person moved on to something else)."""
        store.cancel_draft(self.db, profile.user_hash)

    def send_last(self, profile: Profile, sender: Sender) -> Outcome:
        """"Ask a person" under a fallback: send the last unanswered question."""
        last = self._last_unanswered(profile.user_hash)
        if last is None:
            return self.request(profile)
        case = store.active(self.db, profile.user_hash)
        if case is not None and case.status == OPEN:
            return self._follow_up(case, profile, last)
        return self._open(profile, sender, last)

    def person_text(self, profile: Profile, sender: Sender, text: str) -> Outcome | None:
        """Text from a person with a draft or an open request goes to staff; else None."""
        case = store.active(self.db, profile.user_hash)
        if case is None:
            return None
        if case.status == DRAFT:
            return self._open(profile, sender, text)
        return self._follow_up(case, profile, text)

    def end(self, profile: Profile) -> Outcome:
        """The person ends their request (or cancels the /human prompt)."""
        lang = profile.lang
        case = store.active(self.db, profile.user_hash)
        if case is None:
            return Outcome(notice=gettext(lang, _("There is no open request.")))
        if case.status == DRAFT:
            store.cancel_draft(self.db, profile.user_hash)
            return Outcome([Reply((_text(lang, _(
                "Cancelled: nothing was sent to the support team.")),))])
        store.close(self.db, case.id, "person")
        outbox.release_contact(self.db, profile.user_hash)
        staff = self.staff_lang
        deliveries = [Delivery(
            self.staff_chat or "", Reply((_text(staff, _(
                "Request #{case}: the person has closed the conversation."), case=case.id),)),
            reply_to=store.thread(self.db, case.id, self.staff_chat or ""), case=case.id,
            purpose=PERSON_LEFT,
        )] if self.staff_chat else []
        return Outcome([Reply((_text(lang, _(
            "Your request #{case} is closed. You can ask me questions again, or send /human to "
            "write to the support team."), case=case.id),))], deliveries=deliveries)

    def _open(self, profile: Profile, sender: Sender, question: str) -> Outcome:
        lang = profile.lang
        answer = self.assistant.ask(question, lang)
        if answer.status == ANSWER and answer.entry is not None:
            suggested = [answer.entry.id]
        elif answer.status == SUGGEST:
            suggested = [s.entry.id for s in answer.suggestions]
        else:
            suggested = []
        now = self._clock()
        with self.db.atomic():
            case = store.open_case(self.db, profile.user_hash, lang, question, answer.status,
                                   suggested, self.hours.is_open(now))
            outbox.save_contact(self.db, profile.user_hash, sender.reach, lang)
        log.info("request #%d opened for user %s", case.id, profile.user_hash[:8])
        blocks = [_text(lang, _(
            "Your question has been sent to the support team as request #{case}. Their answer "
            "will appear in this chat. Anything you write here now goes to them too, until the "
            "request is closed."), case=case.id)]
        blocks += [Block(TEXT, line) for line in self._hours_lines(lang, now)]
        blocks.append(Block(NOTE, gettext(lang, PRIVACY_NOTE)))
        delivery = Delivery(self.staff_chat or "", self._case_message(case), case=case.id,
                            purpose=CASE)
        return Outcome([Reply(tuple(blocks), self._end_button(lang))], deliveries=[delivery])

    def _follow_up(self, case: Case, profile: Profile, text: str) -> Outcome:
        lang, staff = profile.lang, self.staff_lang
        store.person_wrote(self.db, case.id)
        message = Reply((
            Block(TITLE, gettext(staff, _("Request #{case}: the person writes"), case=case.id)),
            Block(QUOTE, text),
        ), self._close_button(case.id))
        delivery = Delivery(self.staff_chat or "", message,
                            reply_to=store.thread(self.db, case.id, self.staff_chat or ""),
                            case=case.id, purpose=FOLLOW_UP)
        return Outcome([Reply((_text(lang, _("Sent to the support team (request #{case})."),
                                     case=case.id),), self._end_button(lang))],
                       deliveries=[delivery])

    # -- the staff chat ---------------------------------------------------------------------------

    def staff_text(self, sender: Sender, text: str, reply_to: str | None) -> Outcome | None:
        """A staff member's reply to one of the bot's messages in the staff chat.

        Passed on to the person when it answers an open request; None when the message is not a
        reply to the bot (the ordinary conversation handles it).
        """
        if reply_to is None:
            return None
        staff = self.staff_lang
        case = store.by_message(self.db, self.staff_chat or "", reply_to)
        if case is None:
            return Outcome([Reply((_text(staff, _(
                "This message is not part of a request, so nothing was passed on. To answer "
                "someone, reply to their request.")),))])
        if case.status != OPEN:
            return Outcome([Reply((_text(staff, _(
                "Request #{case} is closed, so this reply was not passed on. The person can "
                "write again with /human."), case=case.id),))])
        chat = outbox.contact(self.db, case.user_hash) if case.user_hash else None
        if chat is None:
            store.close(self.db, case.id, "unreachable")
            return Outcome([Reply((_text(staff, UNREACHABLE, case=case.id),))])
        store.staff_replied(self.db, case.id, self.people.hash(sender.ref))
        lang = case.lang
        relay = Reply((
            Block(TITLE, gettext(lang, _("💬 Answer from the support team"))),
            Block(TEXT, text),
            Block(NOTE, gettext(lang, _("Request #{case}. To reply, just write here."),
                                case=case.id)),
        ), self._end_button(lang))
        return Outcome(deliveries=[Delivery(chat, relay, case=case.id, purpose=RELAY)])

    def staff_other(self, reply_to: str | None) -> Outcome:
        """A photo, sticker … replying to a request: only text can be passed on."""
        if reply_to is None or store.by_message(self.db, self.staff_chat or "", reply_to) is None:
            return Outcome()
        return Outcome([Reply((_text(self.staff_lang, _(
            "Only text can be passed on to the person. Please write your answer as text.")),))])

    def staff_close(self, sender: Sender, case_id: int) -> Outcome:
        """The close button under a request in the staff chat."""
        if not self.is_staff_chat(sender.chat):
            return Outcome()  # a forged press from anywhere else
        staff = self.staff_lang
        case = store.get(self.db, case_id)
        if case is None:
            return Outcome()
        chat = outbox.contact(self.db, case.user_hash) if case.user_hash else None
        if not store.close(self.db, case.id, "staff"):
            return Outcome(notice=gettext(staff, _("This request is already closed.")),
                           clear_buttons=True)
        if case.user_hash:
            outbox.release_contact(self.db, case.user_hash)
        log.info("request #%d closed by staff member %s", case.id,
                 self.people.hash(sender.ref)[:8])
        closed = store.get(self.db, case.id)
        if closed is not None and closed.answered_at and closed.opened_at:
            waited = datetime.fromisoformat(closed.answered_at) - datetime.fromisoformat(
                closed.opened_at)
            summary = gettext(staff, _("Request #{case} is closed. First answer after {time}."),
                              case=case.id, time=format_duration(waited, staff))
        else:
            summary = gettext(staff, _("Request #{case} is closed without an answer."),
                              case=case.id)
        deliveries = []
        if chat is not None:
            deliveries.append(Delivery(chat, Reply((_text(case.lang, _(
                "The support team has closed your request #{case}. Thank you for your "
                "patience. You can ask me questions again, or send /human to write to the "
                "team."), case=case.id),)), case=case.id, purpose=CLOSED_NOTICE))
        return Outcome([Reply((Block(TEXT, summary),))],
                       notice=gettext(staff, _("Closed.")), clear_buttons=True,
                       deliveries=deliveries)

    # -- reports from the channel -----------------------------------------------------------------

    def delivered(self, delivery: Delivery, messages: list[str]) -> None:
        """The channel created `messages` for `delivery`: staff replies to them reach it."""
        if delivery.case is not None and self.is_staff_chat(delivery.to) and messages:
            store.remember(self.db, delivery.to, messages, delivery.case)

    def undelivered(self, delivery: Delivery, outcome: Outcome, final: bool = True) -> Outcome:
        """A chat refused `delivery` (bot removed from the staff group, person blocked the bot):
        what to tell the sender instead of `outcome`."""
        case = store.get(self.db, delivery.case) if delivery.case is not None else None
        if case is None:
            return outcome
        log.warning("request #%d: a %s message could not be delivered", case.id,
                    delivery.purpose)
        if delivery.purpose in (CASE, FOLLOW_UP):
            if delivery.purpose == CASE:
                store.discard(self.db, case.id)
                if case.user_hash:
                    outbox.release_contact(self.db, case.user_hash)
            return Outcome([Reply((_text(case.lang, _(
                "Sorry, I could not reach the support team just now, so your message was not "
                "sent. Please try again later.")),))])
        if delivery.purpose == RELAY and not final:  # e.g. too long, or the network: retry
            return Outcome([Reply((_text(self.staff_lang, _(
                "Your reply to request #{case} could not be delivered just now. The request "
                "stays open; please send it again (shorter if it was long)."), case=case.id),))])
        if delivery.purpose == RELAY:
            store.close(self.db, case.id, "unreachable")
            if case.user_hash:
                outbox.release_contact(self.db, case.user_hash)
            return Outcome([Reply((_text(self.staff_lang, UNREACHABLE, case=case.id),))])
        return outcome

    # -- helpers ----------------------------------------------------------------------------------

    def _case_message(self, case: Case) -> Reply:
        staff = self.staff_lang
        entries = self.assistant.snapshot.entries
        titles = [entries[e].text(staff).title for e in case.suggested if e in entries]
        if case.bot_status == ANSWER and titles:
            bot_line = gettext(staff, _("The bot answered with: {title}"), title=titles[0])
        elif titles:
            bot_line = gettext(staff, _("The bot suggested: {titles}"), titles="; ".join(titles))
        else:
            bot_line = gettext(staff, _("The bot had no answer."))
        return Reply((
            Block(TITLE, gettext(staff, _("📨 Request #{case}"), case=case.id)),
            Block(TEXT, gettext(staff, _("Language: {language}"),
                                language=LANGUAGE_NAMES.get(case.lang, case.lang))),
            Block(QUOTE, _short(case.question, MAX_QUESTION)),
            Block(TEXT, bot_line),
            Block(NOTE, gettext(staff, _(
                "Reply to this message to answer. The person sees your answer as coming from "
                "the support team, not from your account. Close the request when it is done."))),
        ), self._close_button(case.id))

    def _close_button(self, case_id: int) -> tuple[tuple[Button, ...], ...]:
        return ((Button(gettext(self.staff_lang, _("✅ Close request")), f"{CLOSE}{case_id}"),),)

    def _end_button(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return ((Button(gettext(lang, _("End the conversation with the team")), END),),)

    def _hours_lines(self, lang: str, now: datetime | None = None) -> list[str]:
        """What to expect: the usual answer time, and office hours when outside them."""
        now = now or self._clock()
        typical = store.typical_response(self.db)
        if self.hours.is_open(now):
            return [gettext(lang, _("The team usually answers within {time}."),
                            time=format_duration(typical, lang))] if typical is not None else []
        lines = []
        opening = self.hours.next_opening(now)
        if opening is not None:
            lines.append(gettext(lang, _(
                "The team works {hours} (Cambodia time). It is outside these hours now, so the "
                "answer will most likely come {when}."), hours=self.hours.describe(lang),
                when=self.hours.when_words(opening, lang, now)))
        if typical is not None:
            lines.append(gettext(lang, _(
                "During office hours the team usually answers within {time}."),
                time=format_duration(typical, lang)))
        return lines

    def _last_unanswered(self, user_hash: str) -> str | None:
        """The person's last question the bot could not answer (today), if any."""
        since = (datetime.now(UTC).replace(microsecond=0)
                 - timedelta(hours=LAST_QUESTION_HOURS)).isoformat()
        row = self.db.execute(
            "select text from queries where user_hash = ? and at >= ? and status in "
            "('fallback', 'rejected') and id > coalesce((select max(id) from queries where "
            "user_hash = ? and status = 'answer'), 0) order by id desc limit 1",
            [user_hash, since, user_hash]).fetchone()
        return row[0] if row and row[0].strip() else None


PRIVACY_NOTE = _(
    "The team sees your question and your language, not your name, username or phone number."
)
UNREACHABLE = _(
    "Could not pass the answer to request #{case} on: the person has blocked the bot or "
    "deleted the chat. The request is closed."
)
