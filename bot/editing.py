"""What content editors do from Telegram: close gaps, read figures, inspect entries, reload.

Only senders listed in GOVBOT_EDITORS reach this module; the conversation core checks that and
gives everyone else its ordinary reply. Replies are built like any other (blocks and buttons),
in the editor's language.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.assistant import Assistant
from bot.chart import outcome_chart
from bot.engine.normalize import detect_language, normalize
from bot.i18n import _, format_day, format_duration, gettext
from bot.kb.importer import import_knowledge
from bot.model import EntryText, Question, editor_name
from bot.replies import HTML, NOTE, TEXT, TITLE, Block, Button, Outcome, Reply
from bot.store import handovers, outbox, signin
from bot.store.gaps import Gap, gaps
from bot.store.knowledge import add_not_ours_question, read_entry
from bot.store.revisions import history, save_entry
from bot.store.stats import per_day, period
from bot.topics import TOPIC_NAMES

log = logging.getLogger(__name__)

ATTACH, DISMISS, NOT_OURS = "ga:", "gd:", "gn:"
GAPS_SHOWN = 5
SUGGESTED = 2


def gap_key(gap: Gap) -> str:
    """A short stable key for a gap, small enough for callback data."""
    return hashlib.sha1(gap.normalized.encode()).hexdigest()[:10]


class EditorDesk:
    """Editor commands and the gap buttons."""

    def __init__(self, assistant: Assistant, knowledge_dir: Path, console_url: str = "") -> None:
        self.assistant = assistant
        self.knowledge_dir = knowledge_dir
        self.console_url = console_url

    @property
    def db(self):
        return self.assistant.db

    def command(
        self, name: str, args: str, lang: str, editor: str, display_name: str = ""
    ) -> Outcome | None:
        """/gaps, /stats, /entry <id>, /reload [quiet], /console; None for any other command."""
        if name == "console":
            return self.console_link(lang, editor, display_name)
        if name == "gaps":
            return self.gap_list(lang)
        if name == "stats":
            return self.stats(lang)
        if name == "entry":
            return self.entry(args.strip(), lang)
        if name == "reload":
            return self.reload(lang, editor_name(editor), notify=args.strip().lower() != "quiet")
        return None

    def console_link(self, lang: str, editor: str, display_name: str) -> Outcome:
        """A one-time sign-in link to the web console (10 minutes, single use)."""
        token = signin.issue_link(self.db, editor, display_name)
        link = f"{self.console_url}/console/login?token={token}"
        log.info("editor %s asked for a console sign-in link", editor)
        return Outcome([Reply((
            Block(TEXT, gettext(lang, _("Your sign-in link to the editors' console:"))),
            Block(TEXT, link),
            Block(NOTE, gettext(lang, _(
                "It works once, for 10 minutes. Do not forward it: whoever opens it signs in "
                "as you."))),
        ))])

    def gap_list(self, lang: str) -> Outcome:
        found = gaps(self.db, order="count", limit=GAPS_SHOWN)
        if not found:
            return Outcome([Reply((Block(TEXT, gettext(lang, _(
                "No unanswered questions at the moment.")),),))])
        heading = gettext(lang, _("Most asked questions without an answer"))
        replies = [Reply((Block(TITLE, heading),))]
        snapshot = self.assistant.snapshot
        for gap in found:
            key = gap_key(gap)
            rows = [
                (Button("➕ " + snapshot.entries[c.entry_id].text(lang).title,
                        f"{ATTACH}{key}:{c.entry_id}"),)
                for c in snapshot.matcher.rank_entries(gap.text, SUGGESTED)
            ]
            rows.append((Button(gettext(lang, _("🚫 Not ours")), NOT_OURS + key),
                         Button(gettext(lang, _("Dismiss")), DISMISS + key)))
            replies.append(Reply((
                Block(TEXT, f"“{gap.text}”"),
                Block(NOTE, gettext(lang, _("Asked {count} times, last on {date}"),
                                    count=gap.count,
                                    date=format_day(date.fromisoformat(gap.last_at[:10]), lang))),
            ), tuple(rows)))
        return Outcome(replies)

    def action(self, payload: str, lang: str, editor: str) -> Outcome:
        """A gap button: attach the question to an entry, mark it not ours, or dismiss it."""
        if payload.startswith(ATTACH):
            key, _sep, entry_id = payload[len(ATTACH):].partition(":")
            return self._attach(key, entry_id, lang, editor)
        if payload.startswith(NOT_OURS):
            return self._not_ours(payload[len(NOT_OURS):], lang, editor)
        return self._dismiss(payload[len(DISMISS):], lang)

    def _find(self, key: str) -> Gap | None:
        return next((g for g in gaps(self.db) if gap_key(g) == key), None)

    def _attach(self, key: str, entry_id: str, lang: str, editor: str) -> Outcome:
        gap = self._find(key)
        entry = read_entry(self.db, entry_id)
        if gap is None or entry is None:
            return Outcome(notice=gettext(lang, _("This question was already handled.")))
        owner = self._owner(gap.normalized)
        if owner is not None and owner != entry_id:
            return Outcome(notice=gettext(lang, _("That question already belongs to {entry}."),
                                          entry=owner))
        q_lang = detect_language(gap.text)
        text = entry.texts.get(q_lang) or entry.text(q_lang)
        if owner is None:
            texts = dict(entry.texts)
            texts[q_lang] = EntryText(text.title, text.answer,
                                      (*text.questions, Question(gap.text, "editor")))
            save_entry(self.db, entry_id, replace(entry, texts=texts), editor, "question-added")
        self._close(gap, "attached")
        self.assistant.refresh()  # live at once, not at the next refresh tick
        log.info("editor %s attached a gap question to %s", editor, entry_id)
        return Outcome([Reply((Block(TEXT, gettext(lang, _(
            "Added. From now on this question is answered with “{title}”."),
            title=entry.text(lang).title)),))])

    def _not_ours(self, key: str, lang: str, editor: str) -> Outcome:
        """The question is outside what the bot answers: questions like it get "I don't know"
        from now on (knowledge/scope.yaml's not_ours_questions, exported with the knowledge)."""
        gap = self._find(key)
        if gap is None:
            return Outcome(notice=gettext(lang, _("This question was already handled.")))
        add_not_ours_question(self.db, gap.text, editor)
        self._close(gap, "not-ours")
        self.assistant.refresh()
        return Outcome(notice=gettext(lang, _(
            "Marked as not ours: questions like it now get “I don't know”.")))

    def _dismiss(self, key: str, lang: str) -> Outcome:
        gap = self._find(key)
        if gap is not None:
            self._close(gap, "dismissed")
        return Outcome(notice=gettext(lang, _("Dismissed.")))

    def _owner(self, normalized: str) -> str | None:
        for entry in self.assistant.snapshot.entries.values():
            for text in entry.texts.values():
                if any(normalize(q.text) == normalized for q in text.questions):
                    return entry.id
        return None

    def _close(self, gap: Gap, resolution: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "update queries set resolution = ? where normalized = ? and resolution is null",
                [resolution, gap.normalized],
            )

    def stats(self, lang: str) -> Outcome:
        snapshot = self.assistant.snapshot
        lines = []
        for days in (7, 30):
            p = period(self.db, days, snapshot.topic_of)
            topics = ", ".join(f"{gettext(lang, TOPIC_NAMES[t])} ({n})"
                               for t, n in p.top_topics) or "–"
            lines.append(gettext(lang, _(
                "Last {days} days: {questions} questions; answered {answered}%, suggested "
                "{suggested}%, not answered {fallback}%; 👍 {up} 👎 {down}. Top topics: "
                "{topics}."), days=days, questions=p.questions, answered=p.pct("answer"),
                suggested=p.pct("suggest"), fallback=p.pct("fallback"), up=p.up, down=p.down,
                topics=topics))
        top_gaps = gaps(self.db, order="count", limit=3)
        if top_gaps:
            lines.append(gettext(lang, _("Top unanswered: {gaps}"),
                                 gaps="; ".join(f"“{g.text}” ({g.count})" for g in top_gaps)))
        lines.extend(self._people_lines(lang))
        chart = outcome_chart(per_day(self.db, 30, snapshot.built_on))
        return Outcome([
            Reply((Block(TITLE, gettext(lang, _("Usage"))), Block(TEXT, "\n\n".join(lines)))),
            Reply((Block(NOTE, gettext(lang, _(
                "Questions per day, last 30 days: green answered, amber suggested, red not "
                "answered."))),), image=chart),
        ])

    def _people_lines(self, lang: str) -> list[str]:
        """Requests to staff (opened, answered, closed, response time) and subscriptions."""
        lines = []
        waiting = 0
        for days in (7, 30):
            f = handovers.figures(self.db, days)
            waiting = f.waiting
            if not f.opened:
                lines.append(gettext(lang, _("Requests to staff, last {days} days: none."),
                                     days=days))
                continue
            median = (format_duration(f.median_response, lang)
                      if f.median_response is not None else "–")
            lines.append(gettext(lang, _(
                "Requests to staff, last {days} days: {opened} opened, {answered} answered, "
                "{closed} closed; median time to the first answer: {median}."), days=days,
                opened=f.opened, answered=f.answered, closed=f.closed, median=median))
        if waiting:
            lines.append(gettext(lang, _("Waiting for a first answer now: {count}."),
                                 count=waiting))
        queued = outbox.counts(self.db).get(outbox.PENDING, 0)
        lines.append(gettext(lang, _(
            "Subscribers: {count}; update messages waiting to be sent: {queued}."),
            count=outbox.subscriber_count(self.db), queued=queued))
        return lines

    def entry(self, entry_id: str, lang: str) -> Outcome:
        entry = self.assistant.snapshot.entries.get(entry_id)
        if entry is None:
            return Outcome([Reply((Block(TEXT, gettext(lang, _(
                "No entry with the id “{id}”. Ids look like evisa-apply."), id=entry_id)),))])
        blocks = []
        for text_lang in ("km", "en"):
            text = entry.texts.get(text_lang)
            if text is not None:
                blocks += [Block(TITLE, f"[{text_lang}] {text.title}"),
                           Block(HTML, text.answer.strip())]
        reviewed = format_day(entry.reviewed, lang) if entry.reviewed else "–"
        revisions = "\n".join(f"{r.at[:16]} {r.editor}: {r.action}"
                              for r in history(self.db, entry_id, limit=3))
        blocks.append(Block(NOTE, gettext(lang, _("Topic {topic}; checked on {date}."),
                                          topic=entry.topic, date=reviewed)
                            + ("\n" + revisions if revisions else "")))
        return Outcome([Reply(tuple(blocks))])

    def reload(self, lang: str, editor: str, notify: bool = True) -> Outcome:
        try:
            result = import_knowledge(self.db, self.knowledge_dir, editor, notify=notify)
        except FileNotFoundError:
            log.error("/reload: knowledge folder %s not found", self.knowledge_dir)
            return Outcome([Reply((Block(TEXT, gettext(lang, _(
                "The knowledge folder was not found on the server; nothing was changed.")),),))])
        if result.summary is None:
            return Outcome([Reply((Block(TEXT, gettext(lang, _(
                "The knowledge files have {count} problem(s); nothing was changed. Run "
                "`govbot kb validate` to see them."), count=len(result.validated.errors))),))])
        s = result.summary
        self.assistant.refresh()
        blocks = [Block(TEXT, gettext(lang, _(
            "Reloaded: {added} added, {changed} changed, {removed} removed; knowledge version "
            "{version}."), added=len(s.added), changed=len(s.changed), removed=len(s.removed),
            version=s.version))]
        if result.notified:
            blocks.append(Block(NOTE, gettext(lang, _(
                "{count} subscriber(s) will get a message about what changed."),
                count=result.notified)))
        return Outcome([Reply(tuple(blocks))])
