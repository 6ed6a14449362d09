"""The channel-neutral conversation: (user, event) → replies made of blocks and buttons.

Telegram and the terminal both render what this module returns; neither decides anything. Replies
carry structure (title, plain text, the entry's stored HTML, small print), never channel markup,
so each adapter escapes and formats in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.assistant import ANSWER, Answer, Assistant
from bot.engine.decide import SUGGEST
from bot.i18n import _, format_day, gettext
from bot.model import Entry

# Callback payloads: short prefixes keep every payload far below Telegram's 64-byte limit.
SHOW = "e:"
NONE_OF_THESE = "none"

TITLE, TEXT, HTML, NOTE = "title", "text", "html", "note"


@dataclass(frozen=True)
class Block:
    """A piece of a reply: `title` and `text` and `note` are plain text, `html` is entry HTML."""

    kind: str
    text: str


@dataclass(frozen=True)
class Button:
    """Either an action for the conversation (`action`) or a link (`url`)."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to the user."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass
class User:
    """What the conversation knows about the person it is talking to."""

    lang: str = "en"
    last_question: str = field(default="", repr=False)


class Conversation:
    """Decides what to say; stateless apart from the `User` passed in."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def on_text(self, user: User, text: str) -> list[Reply]:
        """A question typed by the user."""
        user.last_question = text
        answer = self.assistant.ask(text, user.lang)
        if answer.status == ANSWER and answer.entry is not None:
            return [self.entry_reply(answer.entry, user.lang, answer)]
        if answer.status == SUGGEST:
            return [self._suggest_reply(answer, user.lang)]
        return [self._fallback_reply(user.lang)]

    def on_action(self, user: User, payload: str) -> list[Reply]:
        """A button pressed by the user; unknown or stale payloads get an honest reply."""
        if payload.startswith(SHOW):
            entry = self.assistant.snapshot.entries.get(payload[len(SHOW):])
            if entry is not None:
                return [self.entry_reply(entry, user.lang)]
            return [Reply((Block(TEXT, gettext(user.lang, _(
                "That answer is no longer available. Please ask your question again."))),))]
        if payload == NONE_OF_THESE:
            return [self._fallback_reply(user.lang)]
        return []

    def entry_reply(self, entry: Entry, lang: str, answer: Answer | None = None) -> Reply:
        """An entry as an answer: title, text, source and review date, links and related."""
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
        related = (
            [s.entry for s in answer.suggestions] if answer is not None
            else [self.assistant.snapshot.entries[r] for r in entry.related
                  if r in self.assistant.snapshot.entries][:3]
        )
        rows.extend((Button(r.text(lang).title, action=SHOW + r.id),) for r in related)
        return Reply(tuple(blocks), tuple(rows))

    def _suggest_reply(self, answer: Answer, lang: str) -> Reply:
        rows = [
            (Button(s.entry.text(lang).title, action=SHOW + s.entry.id),)
            for s in answer.suggestions
        ]
        rows.append((Button(gettext(lang, _("None of these")), action=NONE_OF_THESE),))
        return Reply((Block(TEXT, gettext(lang, _("Did you mean:"))),), tuple(rows))

    def _fallback_reply(self, lang: str) -> Reply:
        return Reply((Block(TEXT, gettext(lang, _(
            "Sorry, I don't have a reliable answer to that yet. I can help with Cambodia's "
            "digital public services (e-Visa, e-Arrival, passports, ID cards, business "
            "registration, tax …) and ICT training. Try asking in other words."
        ))),))
