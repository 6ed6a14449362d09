"""The question-answering service: the current knowledge snapshot, and one answer per question.

The snapshot (entries + matcher) is immutable and replaced by one assignment, so a question asked
while editors import new content is answered entirely from the old version or entirely from the
new one, never from a mix, and never waits for the rebuild.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlite_utils

from bot.config import Settings
from bot.engine.decide import ANSWER, DEFAULT_THRESHOLDS, Thresholds, decide
from bot.engine.matcher import Candidate, Matcher
from bot.engine.normalize import MAX_CHARS, detect_language
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.kb.importer import import_knowledge
from bot.model import Entry
from bot.store import index_cache
from bot.store.db import open_or_rebuild
from bot.store.knowledge import (
    knowledge_version,
    read_categories,
    read_entries,
    read_scope,
    read_synonyms,
)

log = logging.getLogger(__name__)

# Longer text is cut before matching: no question needs more, and the cost stays bounded.
MAX_QUERY_CHARS = MAX_CHARS


@dataclass(frozen=True)
class Snapshot:
    """One knowledge version, ready to answer from."""

    version: int
    built_on: date
    entries: dict[str, Entry]
    matcher: Matcher
    topic_of: dict[str, str]
    categories: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Suggestion:
    """An entry offered as a choice (or as related reading), with its match score."""

    entry: Entry
    score: float


@dataclass(frozen=True)
class Answer:
    """The outcome of one question, before any channel renders it."""

    status: str
    lang: str
    query_lang: str
    score: float
    entry: Entry | None
    suggestions: tuple[Suggestion, ...]
    version: int
    reason: str = ""  # why it was decided so (`engine.decide.Decision.reason`); not in the JSON

    def to_json(self) -> dict[str, object]:
        """The reply object of `govbot ask --json` (its fields: docs/reference.md).

        ``suggestions`` are what the question matched besides the answer, best first. An
        answer's related entries that the question did not match at all (score 0) are links
        an editor chose, not matches: the chat still offers them, the JSON leaves them out, so
        that a tool reading scores never sees a "suggestion" that scored nothing.
        """
        entry = None
        if self.entry is not None:
            text = self.entry.text(self.lang)
            entry = {
                "id": self.entry.id,
                "topic": self.entry.topic,
                "title": text.title,
                "answer": text.answer,
                "official_url": self.entry.official_url or "",
                "sources": [source.url for source in self.entry.sources],  # contract: URLs
                "reviewed": self.entry.reviewed.isoformat() if self.entry.reviewed else "",
            }
        return {
            "status": self.status,
            "lang": self.lang,
            "query_lang": self.query_lang,
            "score": round(self.score / 100, 4),
            "entry": entry,
            "suggestions": [
                {
                    "id": s.entry.id,
                    "topic": s.entry.topic,
                    "title": s.entry.text(self.lang).title,
                    "score": round(s.score / 100, 4),
                }
                for s in sorted(self.suggestions, key=lambda s: -s.score)
                if s.score > 0
            ],
        }


def build_snapshot(
    db: sqlite_utils.Database, today: date, index_file: Path | None = None
) -> Snapshot:
    """Read the store in one read transaction and index every entry that may be served.

    One transaction: an import committing midway cannot pair the old version number with
    new entries. With `index_file`, what is built from the store (the entries, the matcher's
    index, topics, categories) is kept there and reused while the knowledge version, the day
    and the code are the same (bot/store/index_cache.py): reading and indexing every variant
    is nearly all of a start-up.
    """
    with db.atomic():
        version = knowledge_version(db)
        key = index_cache.index_key(db, today)
        kept = index_cache.load(index_file, key) if index_file and key else None
        if isinstance(kept, Snapshot):
            return kept
        entries = read_entries(db)
        synonyms = read_synonyms(db)
        categories = read_categories(db)
        scope = Scope.from_lists(read_scope(db))
    snapshot = make_snapshot(version, today, entries, synonyms, categories, scope)
    if index_file and key:
        index_cache.save(index_file, key, snapshot)
    return snapshot


def make_snapshot(
    version: int, today: date, entries: Iterable[Entry],
    synonyms: dict[str, dict[str, str]], categories: dict[str, dict[str, str]],
    scope: Scope | None = None,
) -> Snapshot:
    """Index entries as the bot would serve them (the console also builds one from a draft)."""
    by_id = {e.id: e for e in entries}
    current = [e for e in by_id.values() if e.is_current(today)]
    topics = {entry_id: e.topic for entry_id, e in by_id.items()}
    return Snapshot(version, today, by_id, Matcher(current, Analyzer(synonyms), scope=scope),
                    topics, categories)


def _reader(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """A separate connection to the same file, for rebuilding in another thread: the main
    connection's transactions (the bot's records) must not interleave with the rebuild's."""
    path = db.execute("pragma database_list").fetchone()[2]
    if not path:  # an in-memory store has no second connection
        return db
    return sqlite_utils.Database(sqlite3.connect(path, timeout=10, check_same_thread=False))


class Assistant:
    """Answers questions from the store's current knowledge version."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        today: Callable[[], date] = date.today,
        index_file: Path | None = None,
    ) -> None:
        self.db = db
        self.thresholds = thresholds
        self._today = today
        self._index_file = index_file
        self._lock = threading.Lock()
        self.snapshot = build_snapshot(db, today(), index_file)

    @classmethod
    def open(cls, settings: Settings, busy_timeout: float = 10.0, **kwargs: object) -> Assistant:
        """Open the store, filling it from the bundled knowledge on first use.

        A missing file is created; an unreadable one is set aside and rebuilt (with a log line).
        """
        db = open_or_rebuild(Path(settings.db_path), busy_timeout)
        if knowledge_version(db) == 0:
            result = import_knowledge(db, settings.knowledge_dir, editor="first-run")
            if result.summary is None:
                raise RuntimeError(
                    f"the knowledge in {settings.knowledge_dir} is invalid; "
                    "run `govbot kb validate` to see why"
                )
            log.info("filled a new store %s from %s: %d entries", settings.db_path,
                     settings.knowledge_dir, len(result.summary.added))
        if str(settings.db_path) != ":memory:" and index_cache.ensure_store_id(db):
            kwargs.setdefault("index_file", index_cache.index_path(Path(settings.db_path)))
        return cls(db, **kwargs)  # type: ignore[arg-type]

    def refresh(self) -> bool:
        """Swap in a new snapshot when the store's version or the date has changed."""
        if (knowledge_version(self.db) == self.snapshot.version
                and self._today() == self.snapshot.built_on):
            return False
        with self._lock:  # one rebuild at a time; readers keep using the old snapshot
            reader = _reader(self.db)
            try:
                if (knowledge_version(reader) == self.snapshot.version
                        and self._today() == self.snapshot.built_on):
                    return False
                snapshot = build_snapshot(reader, self._today(), self._index_file)
            finally:
                if reader is not self.db:
                    reader.close()
            self.snapshot = snapshot
        log.info("knowledge version %d loaded (%d entries)", snapshot.version,
                 len(snapshot.entries))
        return True

    def ask(
        self, text: str, lang: str | None = None, thresholds: Thresholds | None = None,
        snapshot: Snapshot | None = None,
    ) -> Answer:
        """Answer one question; `lang` fixes the reply language, else the question's script.
        `snapshot`: answer from that knowledge instead (the console's "with my draft")."""
        snapshot = snapshot or self.snapshot  # one read: the whole answer from one version
        ranked = snapshot.matcher.rank(text[:MAX_QUERY_CHARS])
        return self.decide(snapshot, ranked, detect_language(text), lang, thresholds)

    def decide(
        self,
        snapshot: Snapshot,
        ranked: list[Candidate],
        query_lang: str,
        lang: str | None = None,
        thresholds: Thresholds | None = None,
    ) -> Answer:
        """Turn ranked candidates into an answer (`govbot eval --sweep` reuses one ranking)."""
        thresholds = thresholds or self.thresholds
        lang = lang if lang in ("km", "en") else query_lang
        decision = decide(ranked, thresholds, snapshot.topic_of)
        score = ranked[0].score if ranked else 0.0
        if decision.status == ANSWER and decision.best is not None:
            entry = snapshot.entries[decision.best.entry_id]
            scores = {c.entry_id: c.score for c in ranked}
            related = tuple(
                Suggestion(snapshot.entries[r], scores.get(r, 0.0))
                for r in entry.related
                if r in snapshot.entries and snapshot.entries[r].is_current(snapshot.built_on)
            )[: thresholds.max_suggestions]
            return Answer(ANSWER, lang, query_lang, score, entry, related, snapshot.version,
                          decision.reason)
        suggestions = tuple(
            Suggestion(snapshot.entries[c.entry_id], c.score) for c in decision.suggestions
        )
        return Answer(decision.status, lang, query_lang, score, None, suggestions,
                      snapshot.version, decision.reason)
