"""The channel-neutral conversation: (sender, event) → replies made of blocks and buttons.

Telegram and the terminal both render what this module returns; neither decides anything. Replies
carry structure (title, plain text, the entry's stored HTML, small print), never channel markup,
so each adapter escapes and formats in its own way. Button actions are short strings
("e:evisa-apply"), always parsed strictly when they come back: a channel may hand us forged ones.
"""

from __future__ import annotations

import logging
import re

from bot.assistant import ANSWER, Answer, Assistant
from bot.config import Settings
from bot.editing import EditorDesk
from bot.engine.decide import SUGGEST
from bot.engine.normalize import detect_language
from bot.i18n import _, format_day, gettext
from bot.model import Entry
from bot.replies import (
    HTML,
    NOTE,
    TEXT,
    TITLE,
    Block,
    Button,
    InlineResult,
    Outcome,
    Reply,
    Sender,
)
from bot.store.people import People, Profile
from bot.topics import TOPIC_NAMES

log = logging.getLogger(__name__)

# Button actions. Each fits Telegram's 64-byte callback limit: ids are ≤ 48 characters.
SHOW, CATEGORY, TOPIC, LANGUAGE, FEEDBACK_UP, FEEDBACK_DOWN = "e:", "c:", "t:", "l:", "f+:", "f-:"
MENU, NONE_OF_THESE, FORGET_YES, FORGET_NO = "m", "n", "x:yes", "x:no"
_ACTION_RE = re.compile(
    r"^(?:(e|c|t|l|f\+|f-):([a-z0-9-]{1,48})|m|n|x:yes|x:no"
    r"|(ga):[0-9a-f]{10}:[a-z0-9-]{1,48}|(gd):[0-9a-f]{10})$"
)
EDITOR_COMMANDS = frozenset({"gaps", "stats", "entry", "reload"})

LANGUAGE_NAMES = {"km": "ភាសាខ្មែរ", "en": "English"}
MAX_TOPIC_ENTRIES = 10


def clean(text: str) -> str:
    """Text safe to store and to send: lone surrogates (possible in a Python str, never valid
    UTF-8) become "?" instead of failing the database write or the HTTP request."""
    return text.encode("utf-8", "replace").decode("utf-8") if text else text


def _lang_from_hint(hint: str | None) -> str:
    return "km" if (hint or "").lower().startswith("km") else "en"


def _text(lang: str, message: str, **values: object) -> Block:
    return Block(TEXT, gettext(lang, message, **values))


class Conversation:
    """Decides what to say. State lives in the store (`People`), never in this object."""

    def __init__(
        self,
        assistant: Assistant,
        people: People,
        retention_days: int = 90,
        editors: frozenset[str] = frozenset(),
        desk: EditorDesk | None = None,
    ) -> None:
        self.assistant = assistant
        self.people = people
        self.retention_days = retention_days
        self.editors = editors
        self.desk = desk

    @classmethod
    def for_settings(
        cls, assistant: Assistant, settings: Settings, extra_editors: frozenset[str] = frozenset()
    ) -> Conversation:
        """The conversation as configured: Telegram editors from GOVBOT_EDITORS (plus any
        channel references given, e.g. the local terminal), retention, secret."""
        editors = frozenset(f"tg:{user_id}" for user_id in settings.editors) | extra_editors
        return cls(
            assistant, People(assistant.db, settings.secret), settings.retention_days,
            editors=editors, desk=EditorDesk(assistant, settings.knowledge_dir),
        )

    def _is_editor(self, sender: Sender, what: str) -> bool:
        """Editors only; every refused attempt is logged (by pseudonym, never the raw id)."""
        if self.desk is not None and sender.ref in self.editors:
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
        entry = self._current_entry(clean(payload)) if payload else None
        if entry is not None:
            return Outcome([self.entry_reply(entry, profile.lang)])
        return Outcome([self._welcome(profile.lang)])

    def command(self, sender: Sender, name: str, args: str = "") -> Outcome:
        """Any other /command; unknown ones (editor commands included) get the help text."""
        if name == "start":
            return self.start(sender, args.strip())
        profile = self._seen(self.profile(sender))
        lang = profile.lang
        if name in EDITOR_COMMANDS and self._is_editor(sender, "/" + name):
            return self.desk.command(name, args, lang, sender.ref)  # type: ignore[union-attr]
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
        return Outcome([self._help(lang)])

    def text(self, sender: Sender, text: str) -> Outcome:
        """A question typed by the user."""
        text = clean(text)
        profile = self.profile(sender)
        if not profile.lang_chosen and detect_language(text) == "km":
            profile.lang = "km"  # writing Khmer is the clearest language choice there is
        self._seen(profile)
        answer = self.assistant.ask(text, profile.lang)
        entry_id = answer.entry.id if answer.entry else None
        self.people.log_query(profile.user_hash, profile.lang, text, answer.status, entry_id,
                              answer.score)
        return Outcome([self.reply_for(answer)])

    def action(self, sender: Sender, payload: str) -> Outcome:
        """A button press. Malformed or forged payloads are ignored without a word."""
        match = _ACTION_RE.match(payload or "")
        if not match:
            return Outcome()
        profile = self.profile(sender)
        lang = profile.lang
        if match.group(3) or match.group(4):  # gap buttons: editors only
            if not self._is_editor(sender, payload):
                return Outcome()
            return self.desk.action(payload, lang, sender.ref)  # type: ignore[union-attr]
        kind, arg = match.group(1), match.group(2)
        if payload == MENU:
            return Outcome([self._categories(lang)], replace=True)
        if payload == NONE_OF_THESE:
            self.people.mark_rejected(profile.user_hash)
            return Outcome([self._fallback(lang)])
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
            return Outcome([self.entry_reply(entry, lang)])
        return Outcome()

    def unsupported(self, sender: Sender) -> Outcome:
        """A sticker, photo, voice message, location…"""
        lang = self.profile(sender).lang
        return Outcome([Reply((_text(lang, _(
            "I can only read text questions. Please type your question.")),))])

    def slow_down(self, sender: Sender) -> Outcome:
        """Said once to someone sending many messages at once; all of them still get answers."""
        lang = self.profile(sender).lang
        return Outcome([Reply((_text(lang, _(
            "You are sending many messages at once. I will answer each of them in turn; "
            "please wait a moment.")),))])

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
        for candidate in snapshot.matcher.rank(query, limit):
            if candidate.score < floor:
                break
            entry = snapshot.entries[candidate.entry_id]
            text = entry.text(lang)
            results.append(InlineResult(
                entry.id, text.title, _summary(text.answer),
                self.entry_reply(entry, lang, shareable=True),
            ))
        return results

    # -- replies -------------------------------------------------------------------------------

    def reply_for(self, answer: Answer) -> Reply:
        """The reply to a question, from the assistant's decision."""
        if answer.status == ANSWER and answer.entry is not None:
            return self.entry_reply(answer.entry, answer.lang,
                                    related=[s.entry for s in answer.suggestions])
        if answer.status == SUGGEST:
            rows = [(Button(s.entry.text(answer.lang).title, SHOW + s.entry.id),)
                    for s in answer.suggestions]
            rows.append((Button(gettext(answer.lang, _("None of these")), NONE_OF_THESE),))
            return Reply((_text(answer.lang, _("Did you mean:")),), tuple(rows))
        return self._fallback(answer.lang)

    def entry_reply(
        self, entry: Entry, lang: str, related: list[Entry] | None = None,
        shareable: bool = False,
    ) -> Reply:
        """An entry as an answer: title, text, source and review date, links, feedback, related.

        `shareable` replies (inline mode) carry only link buttons: they live in other people's
        chats, where our action buttons would mean nothing.
        """
        text = entry.text(lang)
        blocks = [Block(TITLE, text.title), Block(HTML, text.answer.strip())]
        small_print = []
        if entry.sources:
            small_print.append(gettext(lang, _("Source: {url}"), url=entry.sources[0]))
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
        return Reply(tuple(blocks), tuple(rows))

    def _welcome(self, lang: str) -> Reply:
        other = "en" if lang == "km" else "km"
        return Reply((_text(lang, WELCOME),), (
            (Button(gettext(lang, _("Browse topics")), MENU),),
            (Button(LANGUAGE_NAMES[other], LANGUAGE + other),),
        ))

    def _help(self, lang: str) -> Reply:
        return Reply((_text(lang, HELP),), ((Button(gettext(lang, _("Browse topics")), MENU),),))

    def _fallback(self, lang: str) -> Reply:
        rows = [(Button(gettext(lang, _("Browse topics")), MENU),)]
        contact = self._current_entry("contact-human")
        if contact is not None:
            rows.append((Button(gettext(lang, _("How to reach a person")), SHOW + contact.id),))
        return Reply((_text(lang, FALLBACK),), tuple(rows))

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
    "/language – ភាសាខ្មែរ / English\n"
    "/privacy – what this bot stores about you\n"
    "/forget – delete what this bot stores about you\n\n"
    "Answers come from official and public sources, with the date they were checked. "
    "This bot cannot submit applications or take payments."
)
PRIVACY = _(
    "What this bot stores: a coded number instead of your Telegram account (not your name, "
    "username or phone number), your language, the questions you ask and your 👍/👎, so that "
    "answers can be improved. Questions are deleted after {days} days. Send /forget to delete "
    "everything about you now."
)
FORGET_CONFIRM = _(
    "This deletes your language choice, your questions and your feedback from this bot. "
    "Delete everything?"
)
FORGOTTEN = _("Done: everything this bot stored about you has been deleted.")
FALLBACK = _(
    "Sorry, I don't have a reliable answer to that yet. I can help with Cambodia's digital "
    "public services (e-Visa, e-Arrival, passports, ID cards, business registration, tax …) "
    "and ICT training. Try asking in other words, or browse the topics."
)
