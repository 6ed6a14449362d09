"""The channel-neutral conversation: (sender, event) → replies made of blocks and buttons.

Telegram and the terminal both render what this module returns; neither decides anything. Replies
carry structure (title, plain text, the entry's stored HTML, small print), never channel markup,
so each adapter escapes and formats in its own way. Button actions are short strings
("e:evisa-apply"), always parsed strictly when they come back: a channel may hand us forged ones.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from datetime import date

from babel.lists import format_list

from bot.assistant import ANSWER, Answer, Assistant
from bot.config import Settings
from bot.editing import EditorDesk
from bot.engine.decide import SUGGEST
from bot.engine.normalize import detect_language
from bot.handover import END, SEND_LAST, Handover
from bot.i18n import LANGUAGE_NAMES, _, format_day, gettext
from bot.kb.sources import host_of
from bot.model import Entry, Source, best_sources, editor_name
from bot.officehours import OfficeHours
from bot.replies import (
    HTML,
    NOTE,
    TEXT,
    TITLE,
    Block,
    Button,
    Delivery,
    InlineResult,
    Outcome,
    Reply,
    Sender,
)
from bot.store import handovers, outbox
from bot.store.outbox import Notification
from bot.store.people import People, Profile
from bot.subscriptions import Subscriptions
from bot.topics import TOPIC_NAMES

log = logging.getLogger(__name__)

# Button actions. Each fits Telegram's 64-byte callback limit: ids are ≤ 48 characters.
SHOW, CATEGORY, TOPIC, LANGUAGE, FEEDBACK_UP, FEEDBACK_DOWN = "e:", "c:", "t:", "l:", "f+:", "f-:"
MENU, NONE_OF_THESE, FORGET_YES, FORGET_NO = "m", "n", "x:yes", "x:no"
# Handover: send my last question (h), end my request (hx), staff: close request N (hc:N).
# Subscriptions: subscribe (s+:topic), unsubscribe from a notification (s-:) or the list (sx:).
_ACTION_RE = re.compile(
    r"^(?:(e|c|t|l|f\+|f-|s\+|s-|sx):([a-z0-9-]{1,48})|m|n|x:yes|x:no|h|hx"
    r"|(ga):[0-9a-f]{10}:[a-z0-9-]{1,48}|(gd|gn):[0-9a-f]{10}|(hc):([0-9]{1,12}))$"
)
EDITOR_COMMANDS = frozenset({"gaps", "stats", "entry", "reload", "chatid", "console"})
CONTACT_ENTRY = "contact-human"

MAX_TOPIC_ENTRIES = 10


def clean(text: str) -> str:
    """Text safe to store and to send: lone surrogates (possible in a Python str, never valid
    UTF-8) become "?" instead of failing the database write or the HTTP request."""
    return text.encode("utf-8", "replace").decode("utf-8") if text else text


def _lang_from_hint(hint: str | None) -> str:
    return "km" if (hint or "").lower().startswith("km") else "en"


def _text(lang: str, message: str, **values: object) -> Block:
    return Block(TEXT, gettext(lang, message, **values))


PRESS_NOTE_REPORTS = 2


def press_note(entry: Entry, lang: str) -> str | None:
    """For an answer that rests only on press reports, who reported it and when, and where to
    check: "As reported by Phnom Penh Post, 28 December 2024; check https://…".

    The reader must not take a newspaper's account for the government's word; None when any
    source is official (or other), or when there are none. The latest reports come first, at
    most `PRESS_NOTE_REPORTS` of them, so the note stays one line on a phone.
    """
    if not entry.sources or any(s.standing != "press" for s in entry.sources):
        return None
    latest = sorted(entry.sources, key=lambda s: s.date or date.min, reverse=True)
    named = list(dict.fromkeys(
        gettext(lang, _("{publisher}, {date}"), publisher=_outlet(s),
                date=format_day(s.date, lang)) if s.date else _outlet(s)
        for s in latest
    ))[:PRESS_NOTE_REPORTS]
    reports = format_list(named, locale=lang)
    if entry.official_url:
        return gettext(lang, _("As reported by {reports}; check {url}"), reports=reports,
                       url=entry.official_url)
    return gettext(lang, _("As reported by {reports}; no official page confirms it yet."),
                   reports=reports)


def _outlet(source: Source) -> str:
    """The paper's name alone: editors may describe a source at length ("Phnom Penh Post,
    reporting a GDT announcement of 17 April 2021"), which the one-line note has no room for;
    the name ends at the first comma or bracket."""
    name = re.split(r",|\(", source.publisher or "", maxsplit=1)[0].strip()
    return name or host_of(source.url)


class Conversation:
    """Decides what to say. State lives in the store (`People`), never in this object."""

    def __init__(
        self,
        assistant: Assistant,
        people: People,
        retention_days: int = 90,
        editors: frozenset[str] = frozenset(),
        desk: EditorDesk | None = None,
        handover: Handover | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.assistant = assistant
        self.people = people
        self.retention_days = retention_days
        self.editors = editors
        self.desk = desk
        self.handover = handover
        self.subscriptions = subscriptions

    @classmethod
    def for_settings(
        cls, assistant: Assistant, settings: Settings, extra_editors: frozenset[str] = frozenset()
    ) -> Conversation:
        """The conversation as configured: Telegram editors from GOVBOT_EDITORS (plus any
        channel references given, e.g. the local terminal), retention, secret, the staff chat
        and its office hours (a ValueError names a malformed GOVBOT_OFFICE_HOURS), and
        subscriptions."""
        editors = frozenset(f"tg:{user_id}" for user_id in settings.editors) | extra_editors
        people = People(assistant.db, settings.secret)
        hours = OfficeHours.parse(settings.office_hours, settings.office_closed)
        staff_chat = f"tg:{settings.staff_chat}" if settings.staff_chat else None
        return cls(
            assistant, people, settings.retention_days,
            editors=editors,
            desk=EditorDesk(assistant, settings.knowledge_dir, settings.console_base),
            handover=Handover(assistant, people, staff_chat, hours, settings.staff_lang),
            subscriptions=Subscriptions(assistant),
        )

    @property
    def can_hand_over(self) -> bool:
        """True when questions can go to a staff chat."""
        return self.handover is not None and self.handover.available

    def may_edit(self, ref: str) -> bool:
        """True for an editor (GOVBOT_EDITORS, as the process was started with): the web
        console asks on every request, so removing an editor ends their sessions at once."""
        return self.desk is not None and ref in self.editors

    def _is_editor(self, sender: Sender, what: str) -> bool:
        """Editors only; every refused attempt is logged (by pseudonym, never the raw id)."""
        if self.may_edit(sender.ref):
            return True
        log.warning("refused editor action %r from user %s", what[:40],
                    self.people.hash(sender.ref)[:8])
        return False

    # -- events -------------------------------------------------------------------------------

    def profile(self, sender: Sender) -> Profile:
        """The sender's stored profile (created on first contact in the channel's language)."""
        return self.people.profile(sender.ref, _lang_from_hint(sender.lang_hint))

    def choose_language(self, sender: Sender, lang: str) -> Profile:
        """Record an explicit language choice (a button, or `govbot chat --lang`)."""
        profile = self.profile(sender)
        profile.lang, profile.lang_chosen = lang, True
        return self._seen(profile)

    def start(self, sender: Sender, payload: str = "") -> Outcome:
        """/start, optionally with a deep-link payload naming an entry."""
        profile = self._seen(self.profile(sender))
        self._cancel_prompt(sender, profile)
        entry = self._current_entry(clean(payload)) if payload else None
        if entry is not None:
            return Outcome([self.entry_reply(entry, profile.lang, personal=sender.private)])
        return Outcome([self._welcome(profile.lang)])

    def command(self, sender: Sender, name: str, args: str = "") -> Outcome:
        """Any other /command; unknown ones (editor commands included) get the help text."""
        profile = self._seen(self.profile(sender))
        lang = profile.lang
        if name == "start":
            return self.start(sender, args.strip())
        if name != "human":  # another command: the person no longer means to write to staff
            self._cancel_prompt(sender, profile)
        # Editor commands show people's questions: only in the editor's private chat (chatid
        # is what an editor sends in the staff group to set it up).
        if (name in EDITOR_COMMANDS and (sender.private or name == "chatid")
                and self._is_editor(sender, "/" + name)):
            if name == "chatid":  # setting up the staff chat: its id, from inside it
                chat = (sender.chat or sender.ref).partition(":")[2]
                return Outcome([Reply((_text(lang, _(
                    "This chat's id is {id}. To make it the staff chat, set "
                    "GOVBOT_STAFF_CHAT={id} and restart the bot."), id=chat),))])
            return self.desk.command(  # type: ignore[union-attr]
                name, args, lang, sender.ref, sender.name)
        if name == "menu":
            return Outcome([self._categories(lang)])
        if name == "language":
            return Outcome([self._language_choice(lang)])
        if name == "privacy":
            return Outcome([Reply((_text(lang, PRIVACY, days=self.retention_days),))])
        if name == "forget":
            return Outcome([Reply((_text(lang, FORGET_CONFIRM),), (
                (Button(gettext(lang, _("Yes, delete")), FORGET_YES),
                 Button(gettext(lang, _("Cancel")), FORGET_NO)),
            ))])
        if name == "human":
            return self._human(sender, profile)
        if name == "subscriptions" and self.subscriptions is not None:
            if not sender.private:
                return self._private_only(lang)
            subscriptions = self.subscriptions
            return self._safely(lang, lambda: Outcome([subscriptions.listing(profile)]))
        return Outcome([self._help(lang)])

    def text(self, sender: Sender, text: str, reply_to: str | None = None) -> Outcome:
        """A question typed by the user; `reply_to` is the bot's message it replies to, if any.

        In the staff chat, a reply to a request is an answer for the person who asked; a person
        with an open request to staff writes to them, not to the bot.
        """
        text = clean(text)
        handover = self.handover
        if handover is not None and handover.is_staff_chat(sender.chat):
            relayed = self._safely(handover.staff_lang,
                                   lambda: handover.staff_text(sender, text, reply_to))
            if relayed is not None:
                return relayed
        profile = self.profile(sender)
        if not profile.lang_chosen and detect_language(text) == "km":
            profile.lang = "km"  # writing Khmer is the clearest language choice there is
        self._seen(profile)
        if handover is not None and handover.available and sender.private:
            relayed = self._safely(profile.lang,
                                   lambda: handover.person_text(profile, sender, text))
            if relayed is not None:
                return relayed
        answer = self.assistant.ask(text, profile.lang)
        entry_id = answer.entry.id if answer.entry else None
        self.people.log_query(profile.user_hash, profile.lang, text, answer.status, entry_id,
                              answer.score)
        if entry_id == CONTACT_ENTRY and self.can_hand_over and sender.private:
            return self._human(sender, profile)  # "can I talk to a person?": yes, here
        return Outcome([self.reply_for(answer, sender)])

    def housekeeping(self) -> None:
        """Retention, once a day: purge old questions, feedback and idle users; close requests
        to staff nobody wrote in for a while; delete old request texts and sent notifications.
        Channel-neutral, so every channel's scheduler (Telegram's job queue) calls the same."""
        self.people.purge(self.retention_days)
        db = self.assistant.db
        closed = handovers.purge(db, self.retention_days)
        for case in closed:
            if case.user_hash:
                outbox.release_contact(db, case.user_hash)
        if closed:
            log.info("closed %d request(s) to staff nobody wrote in for %d days", len(closed),
                     handovers.IDLE_DAYS)
        outbox.purge(db)
        self.people.scrub()

    def _cancel_prompt(self, sender: Sender, profile: Profile) -> None:
        if self.can_hand_over and sender.private:
            try:
                self.handover.cancel_prompt(profile)  # type: ignore[union-attr]
            except sqlite3.Error as exc:
                log.warning("could not cancel a /human prompt: %s", exc)

    def action(self, sender: Sender, payload: str) -> Outcome:
        """A button press. Malformed or forged payloads are ignored without a word."""
        match = _ACTION_RE.fullmatch(payload or "")
        if not match:
            return Outcome()
        handover, subscriptions = self.handover, self.subscriptions
        if match.group(5):  # close a request: from the staff chat only (checked there)
            if handover is None:
                return Outcome()
            case_id = int(match.group(6))
            return self._safely(handover.staff_lang,
                                lambda: handover.staff_close(sender, case_id))
        profile = self.profile(sender)
        lang = profile.lang
        if match.group(3) or match.group(4):  # gap buttons: editors only
            if not self._is_editor(sender, payload):
                return Outcome()
            return self.desk.action(  # type: ignore[union-attr]
                payload, lang, editor_name(sender.ref))
        kind, arg = match.group(1), match.group(2)
        if payload == MENU or kind in ("c", "t", "e"):  # browsing: not writing to staff
            self._cancel_prompt(sender, profile)
        if payload == MENU:
            return Outcome([self._categories(lang)], replace=True)
        if payload == NONE_OF_THESE:
            self.people.mark_rejected(profile.user_hash)
            return Outcome([self._fallback(lang, personal=sender.private)])
        if payload == SEND_LAST:
            if handover is None or not handover.available:
                return Outcome([self._contact(lang)])
            if not sender.private:
                return self._private_only(lang)
            return self._safely(lang, lambda: handover.send_last(profile, sender))
        if payload == END:
            if handover is None or not sender.private:
                return Outcome()
            return self._safely(lang, lambda: handover.end(profile))
        if kind in ("s+", "s-", "sx") and subscriptions is not None:
            if not sender.private:
                return self._private_only(lang)
            if kind == "s+":
                return self._safely(lang, lambda: subscriptions.subscribe(profile, sender, arg))
            return self._safely(lang, lambda: subscriptions.unsubscribe(profile, arg,
                                                                        from_list=kind == "sx"))
        if payload == FORGET_YES:
            self.people.forget(profile.user_hash)
            return Outcome([Reply((_text(lang, FORGOTTEN),))])
        if payload == FORGET_NO:
            return Outcome(notice=gettext(lang, _("Nothing was deleted.")))
        if kind == "l" and arg in LANGUAGE_NAMES:
            self.choose_language(sender, arg)
            return Outcome([Reply((_text(arg, _("I will answer in English.")),),
                                  ((Button(gettext(arg, _("Browse topics")), MENU),),))])
        if kind in ("f+", "f-"):
            if arg not in self.assistant.snapshot.entries:
                return Outcome()
            self.people.feedback(profile.user_hash, arg, 1 if kind == "f+" else -1)
            return Outcome(notice=gettext(lang, _("Thank you for your feedback.")))
        if kind == "c":
            return Outcome([self._topics(arg, lang)], replace=True)
        if kind == "t":
            return Outcome([self._topic_entries(arg, lang)], replace=True)
        if kind == "e":
            entry = self._current_entry(arg)
            if entry is None:
                return Outcome([Reply((_text(lang, _(
                    "That answer is no longer available. Please ask your question again.")),))])
            return Outcome([self.entry_reply(entry, lang, personal=sender.private)])
        return Outcome()

    def unsupported(self, sender: Sender, reply_to: str | None = None) -> Outcome:
        """A sticker, photo, voice message, location… (in a group: only replies to the bot's
        messages reach this, and only the staff chat gets an answer)."""
        handover = self.handover
        if handover is not None and handover.is_staff_chat(sender.chat):
            return self._safely(handover.staff_lang, lambda: handover.staff_other(reply_to))
        if not sender.private:
            return Outcome()
        lang = self.profile(sender).lang
        return Outcome([Reply((_text(lang, _(
            "I can only read text questions. Please type your question.")),))])

    def slow_down(self, sender: Sender) -> Outcome:
        """Said once to someone sending many messages at once: the ones past a small queue are
        skipped (bot/telegram/guard.py), so they know to ask again, one question at a time."""
        lang = self.profile(sender).lang
        return Outcome([Reply((_text(lang, _(
            "You are sending many messages at once. I answer them one at a time and skip those "
            "that arrive while many are still waiting; please send one question and wait for "
            "its answer.")),))])

    def inline(self, sender: Sender, query: str, limit: int = 5) -> list[InlineResult]:
        """Answers to share from any chat: the best matches, each as a self-contained message."""
        query = clean(query)
        if not query.strip():
            return []
        profile = self.profile(sender)
        lang = "km" if detect_language(query) == "km" else profile.lang
        snapshot = self.assistant.snapshot
        floor = self.assistant.thresholds.suggest
        results = []
        for candidate in snapshot.matcher.rank_entries(query, limit):
            if candidate.score < floor:
                break
            entry = snapshot.entries[candidate.entry_id]
            text = entry.text(lang)
            results.append(InlineResult(
                entry.id, text.title, _summary(text.answer),
                self.entry_reply(entry, lang, shareable=True),
            ))
        return results

    # -- reports from the channel about deliveries ---------------------------------------------

    def delivered(self, delivery: Delivery, messages: list[str]) -> None:
        """The channel sent `delivery` as `messages` (their references in the target chat)."""
        if self.handover is not None:
            try:
                self.handover.delivered(delivery, messages)
            except sqlite3.Error as exc:
                log.error("could not record the messages of request #%s: %s", delivery.case,
                          exc)

    def undelivered(self, delivery: Delivery, outcome: Outcome, final: bool = True) -> Outcome:
        """The target chat refused `delivery` (`final`: for good — the bot was blocked or the
        chat is gone): what the sender gets instead of `outcome`."""
        if self.handover is None:
            return outcome
        handover = self.handover
        return self._safely(handover.staff_lang,
                            lambda: handover.undelivered(delivery, outcome, final))

    def notification(self, notification: Notification) -> Reply | None:
        """The message for a subscriber (None: nothing in it is still relevant)."""
        if self.subscriptions is None:
            return None
        return self.subscriptions.compose(notification)

    # -- replies -------------------------------------------------------------------------------

    def reply_for(self, answer: Answer, sender: Sender | None = None) -> Reply:
        """The reply to a question, from the assistant's decision. With the `sender` of a
        private chat, personal buttons (updates, asking a person) are offered too."""
        personal = sender is not None and sender.private
        if answer.status == ANSWER and answer.entry is not None:
            return self.entry_reply(answer.entry, answer.lang,
                                    related=[s.entry for s in answer.suggestions],
                                    personal=personal)
        if answer.status == SUGGEST:
            rows = [(Button(s.entry.text(answer.lang).title, SHOW + s.entry.id),)
                    for s in answer.suggestions]
            rows.append((Button(gettext(answer.lang, _("None of these")), NONE_OF_THESE),))
            return Reply((_text(answer.lang, _("Did you mean:")),), tuple(rows))
        return self._fallback(answer.lang, personal=personal)

    def entry_reply(
        self, entry: Entry, lang: str, related: list[Entry] | None = None,
        shareable: bool = False, personal: bool = False,
    ) -> Reply:
        """An entry as an answer: title, text, source and review date, links, feedback, related.

        `shareable` replies (inline mode) carry only link buttons: they live in other people's
        chats, where our action buttons would mean nothing. `personal` replies (a private chat)
        add "Notify me about updates" under topics people can follow.
        """
        text = entry.text(lang)
        blocks = [Block(TITLE, text.title), Block(HTML, text.answer.strip())]
        small_print = [note] if (note := press_note(entry, lang)) else []
        if entry.sources:
            small_print.append(
                gettext(lang, _("Source: {url}"), url=best_sources(entry.sources)[0].url))
        if entry.reviewed:
            small_print.append(
                gettext(lang, _("Checked on {date}"), date=format_day(entry.reviewed, lang))
            )
        if small_print:
            blocks.append(Block(NOTE, "\n".join(small_print)))
        rows: list[tuple[Button, ...]] = []
        if entry.official_url:
            rows.append((Button(gettext(lang, _("Official site")), url=entry.official_url),))
        if shareable:
            return Reply(tuple(blocks), tuple(rows))
        rows.append((Button("👍", FEEDBACK_UP + entry.id), Button("👎", FEEDBACK_DOWN + entry.id)))
        if related is None:
            entries = self.assistant.snapshot.entries
            related = [entries[r] for r in entry.related if r in entries][:3]
        rows.extend((Button(r.text(lang).title, SHOW + r.id),) for r in related
                    if self._current_entry(r.id) is not None)
        if personal and self.subscriptions is not None:
            notify = self.subscriptions.button(entry, lang)
            if notify is not None:
                rows.append((notify,))
        return Reply(tuple(blocks), tuple(rows))

    def _welcome(self, lang: str) -> Reply:
        other = "en" if lang == "km" else "km"
        return Reply((_text(lang, WELCOME),), (
            (Button(gettext(lang, _("Browse topics")), MENU),),
            (Button(LANGUAGE_NAMES[other], LANGUAGE + other),),
        ))

    def _help(self, lang: str) -> Reply:
        return Reply((_text(lang, HELP),), ((Button(gettext(lang, _("Browse topics")), MENU),),))

    def _fallback(self, lang: str, personal: bool = False) -> Reply:
        rows = [(Button(gettext(lang, _("Browse topics")), MENU),)]
        contact = self._current_entry(CONTACT_ENTRY)
        if personal and self.can_hand_over:
            rows.append((Button(gettext(lang, _("🙋 Ask a person")), SEND_LAST),))
        elif contact is not None:
            rows.append((Button(gettext(lang, _("How to reach a person")), SHOW + contact.id),))
        return Reply((_text(lang, FALLBACK),), tuple(rows))

    def _contact(self, lang: str) -> Reply:
        """How to reach the service's people without a staff chat: the contact entry."""
        contact = self._current_entry(CONTACT_ENTRY)
        return self.entry_reply(contact, lang) if contact is not None else self._help(lang)

    def _human(self, sender: Sender, profile: Profile) -> Outcome:
        """/human, or asking for a person: the staff chat when there is one, else the official
        contacts."""
        lang = profile.lang
        handover = self.handover
        if handover is None or not handover.available:
            return Outcome([self._contact(lang)])
        if not sender.private:
            return self._private_only(lang)
        return self._safely(lang, lambda: handover.request(profile))

    def _private_only(self, lang: str) -> Outcome:
        return Outcome([Reply((_text(lang, _(
            "Please write to me in a private chat to do this.")),))])

    def _safely(self, lang: str, call: Callable[[], Outcome | None]) -> Outcome | None:
        """Run a step that must write to the database; if it cannot, say so honestly."""
        try:
            return call()
        except sqlite3.Error as exc:
            log.error("a request to staff or a subscription failed: %s", exc)
            return Outcome([Reply((_text(lang, _(
                "Sorry, that did not work just now. Please try again in a few minutes.")),))])

    def _language_choice(self, lang: str) -> Reply:
        return Reply((_text(lang, _("Choose your language:")),), (
            tuple(Button(name, LANGUAGE + code) for code, name in LANGUAGE_NAMES.items()),
        ))

    def _categories(self, lang: str) -> Reply:
        snapshot = self.assistant.snapshot
        used = {e.category for e in snapshot.entries.values() if self._is_current(e)}
        rows = tuple(
            (Button(names[lang], CATEGORY + slug),)
            for slug, names in snapshot.categories.items() if slug in used
        )
        return Reply((_text(lang, _("What would you like to know about?")),), rows)

    def _topics(self, category: str, lang: str) -> Reply:
        entries = self.assistant.snapshot.entries.values()
        topics = list(dict.fromkeys(
            e.topic for e in entries if e.category == category and self._is_current(e)
        ))
        if not topics:
            return self._categories(lang)
        rows = [(Button(gettext(lang, TOPIC_NAMES[t]), TOPIC + t),) for t in topics]
        rows.append((Button(gettext(lang, _("All topics")), MENU),))
        return Reply((_text(lang, _("Choose a topic:")),), tuple(rows))

    def _topic_entries(self, topic: str, lang: str) -> Reply:
        entries = [e for e in self.assistant.snapshot.entries.values()
                   if e.topic == topic and self._is_current(e)][:MAX_TOPIC_ENTRIES]
        if not entries:
            return self._categories(lang)
        rows = [(Button(e.text(lang).title, SHOW + e.id),) for e in entries]
        rows.append((Button(gettext(lang, _("Back")), CATEGORY + entries[0].category),))
        return Reply((Block(TITLE, gettext(lang, TOPIC_NAMES[topic])),), tuple(rows))

    # -- helpers -------------------------------------------------------------------------------

    def _seen(self, profile: Profile) -> Profile:
        self.people.save(profile)
        return profile

    def _is_current(self, entry: Entry) -> bool:
        return entry.is_current(self.assistant.snapshot.built_on)

    def _current_entry(self, entry_id: str) -> Entry | None:
        entry = self.assistant.snapshot.entries.get(entry_id)
        return entry if entry is not None and self._is_current(entry) else None


def _summary(answer_html: str, limit: int = 120) -> str:
    """First words of an answer without markup, for inline result descriptions."""
    plain = re.sub(r"<[^>]+>", "", answer_html)
    plain = re.sub(r"\s+", " ", plain.replace("&lt;", "<").replace("&gt;", ">")
                   .replace("&quot;", '"').replace("&amp;", "&")).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


WELCOME = _(
    "Hello! I am the Cambodia Digital Government Assistant. Ask me about e-Visa, e-Arrival, "
    "passports, ID cards, birth certificates, business registration, tax, CamDigiKey, Bakong "
    "and ICT training and scholarships, in Khmer or English. Type your question, or browse "
    "the topics."
)
HELP = _(
    "Type a question in Khmer or English, for example \"How do I apply for an e-Visa?\".\n\n"
    "/menu – browse topics\n"
    "/human – write to the support team\n"
    "/subscriptions – the topics you get updates about\n"
    "/language – ភាសាខ្មែរ / English\n"
    "/privacy – what this bot stores about you\n"
    "/forget – delete what this bot stores about you\n\n"
    "Answers come from official and public sources, with the date they were checked. "
    "This bot cannot submit applications or take payments."
)
PRIVACY = _(
    "What this bot stores: a coded number instead of your Telegram account (not your name, "
    "username or phone number), your language, the questions you ask and your 👍/👎, so that "
    "answers can be improved. Questions are deleted after {days} days. If you subscribe to "
    "updates or write to the support team, it also keeps the number of your chat with it, to "
    "send you messages, until you unsubscribe and your request is closed. Send /forget to "
    "delete everything about you now."
)
FORGET_CONFIRM = _(
    "This deletes your language choice, your questions, your feedback, your subscriptions and "
    "your requests to the support team from this bot. Delete everything?"
)
FORGOTTEN = _("Done: everything this bot stored about you has been deleted.")
FALLBACK = _(
    "Sorry, I don't have a reliable answer to that yet. I can help with Cambodia's digital "
    "public services (e-Visa, e-Arrival, passports, ID cards, business registration, tax …) "
    "and ICT training. Try asking in other words, or browse the topics."
)
