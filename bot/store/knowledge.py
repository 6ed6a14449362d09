"""The knowledge base in SQLite: entries, their texts and questions, synonyms, revisions.

Every content change goes through `apply_changes`, one transaction that writes the entries,
records a revision per changed entry and bumps `knowledge_version`. A running bot polls that one
number to know when to rebuild its index.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import sqlite_utils

from bot.model import Entry, EntryText, entry_from_dict, entry_to_dict

log = logging.getLogger(__name__)


def now_iso() -> str:
    """UTC timestamp, second precision, as stored in every table."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def knowledge_version(db: sqlite_utils.Database) -> int:
    """Bumped by every content change; 0 for a store never filled."""
    row = db.execute("select value from meta where key = 'knowledge_version'").fetchone()
    return int(row[0]) if row else 0


def read_entries(db: sqlite_utils.Database) -> list[Entry]:
    """All stored entries, ordered by id, with their texts and questions."""
    texts: dict[str, dict[str, dict]] = {}
    for entry_id, lang, title, answer in db.execute(
        "select entry_id, lang, title, answer from entry_texts"
    ):
        texts.setdefault(entry_id, {})[lang] = {"title": title, "answer": answer, "questions": []}
    for entry_id, lang, text, origin in db.execute(
        "select entry_id, lang, text, origin from questions order by id"
    ):
        bucket = texts.get(entry_id, {}).get(lang)
        if bucket is not None:
            bucket["questions"].append({"text": text, "origin": origin})
    entries = []
    for data in db["entries"].rows_where(order_by="id"):
        for key in ("audience", "sources", "related", "only_when"):
            data[key] = json.loads(data[key] or "[]")
        data.update(texts.get(data["id"], {}))
        entries.append(entry_from_dict(data))
    return entries


def read_entry(db: sqlite_utils.Database, entry_id: str) -> Entry | None:
    """One entry by id, or None."""
    return next((e for e in read_entries(db) if e.id == entry_id), None)


def read_synonyms(db: sqlite_utils.Database) -> dict[str, dict[str, str]]:
    """Synonyms by language: colloquial term → canonical term."""
    table: dict[str, dict[str, str]] = {}
    for lang, term, canonical in db.execute("select lang, term, canonical from synonyms"):
        table.setdefault(lang, {})[term] = canonical
    return table


def read_scope(db: sqlite_utils.Database) -> dict[str, object]:
    """knowledge/scope.yaml as stored: list name → items; `markers` → {name: items}."""
    scope: dict[str, object] = {}
    markers: dict[str, list[str]] = {}
    for name, items in db.execute("select name, items from scope order by name"):
        if name.startswith("markers."):
            markers[name.removeprefix("markers.")] = json.loads(items)
        else:
            scope[name] = json.loads(items)
    if markers:
        scope["markers"] = markers
    return scope


def _scope_rows(scope: Mapping[str, object]) -> list[dict[str, str]]:
    rows = []
    for name, items in scope.items():
        if name == "markers" and isinstance(items, Mapping):
            rows.extend({"name": f"markers.{k}", "items": json.dumps(list(v), ensure_ascii=False)}
                        for k, v in items.items())
        else:
            rows.append({"name": name, "items": json.dumps(list(items), ensure_ascii=False)})
    return rows


def write_scope(db: sqlite_utils.Database, scope: Mapping[str, object]) -> bool:
    """Make the store's scope lists exactly `scope`; whether anything changed. No version bump:
    the caller does that in its own transaction."""
    if read_scope(db) == _plain(scope):
        return False
    db.execute("delete from scope")
    db["scope"].insert_all(_scope_rows(scope))
    return True


def _plain(scope: Mapping[str, object]) -> dict[str, object]:
    return json.loads(json.dumps({k: v for k, v in scope.items()}, ensure_ascii=False))


def add_not_ours_question(db: sqlite_utils.Database, text: str, editor: str) -> bool:
    """Record a question an editor marked "not ours" (from /gaps or the console), so that the same
    kind of question gets "I don't know" from the next knowledge version on. Whether it was new.

    Stored as knowledge (no link to who asked it) and exported to knowledge/scope.yaml.
    """
    text = " ".join(text.split())
    with db.atomic():
        scope = read_scope(db)
        questions = list(scope.get("not_ours_questions") or [])
        if not text or text in questions:
            return False
        scope["not_ours_questions"] = [*questions, text]
        write_scope(db, scope)
        version = knowledge_version(db) + 1
        db["meta"].upsert({"key": "knowledge_version", "value": str(version)}, pk="key")
    log.info("editor %s marked a question not ours (knowledge version %d)", editor, version)
    return True


def read_categories(db: sqlite_utils.Database) -> dict[str, dict[str, str]]:
    """Menu categories in their editors' order: slug → {"en": name, "km": name}."""
    return {
        row["slug"]: {"en": row["en"], "km": row["km"]}
        for row in db["categories"].rows_where(order_by="position")
    }


@dataclass
class ChangeSummary:
    """What an import or edit did, by entry id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_editor_questions: dict[str, int] = field(default_factory=dict)
    dropped_editor_questions: dict[str, int] = field(default_factory=dict)
    synonyms_changed: bool = False  # synonyms, categories or scope: content besides entries
    version: int = 0

    @property
    def any_change(self) -> bool:
        """True when the store's content differs from before."""
        return bool(self.added or self.changed or self.removed or self.synonyms_changed)


def _delete_entry_rows(db: sqlite_utils.Database, entry_id: str) -> None:
    db.execute("delete from questions where entry_id = ?", [entry_id])
    db.execute("delete from entry_texts where entry_id = ?", [entry_id])
    db.execute("delete from entries where id = ?", [entry_id])


def _write_entry(db: sqlite_utils.Database, entry: Entry, at: str) -> None:
    _delete_entry_rows(db, entry.id)
    db["entries"].insert(
        {
            "id": entry.id, "topic": entry.topic, "category": entry.category,
            "status": entry.status, "audience": json.dumps(list(entry.audience)),
            "official_url": entry.official_url,
            "sources": json.dumps([s.as_dict() for s in entry.sources], ensure_ascii=False),
            "reviewed": entry.reviewed.isoformat() if entry.reviewed else None,
            "expires": entry.expires.isoformat() if entry.expires else None,
            "related": json.dumps(list(entry.related)), "updated_at": at,
            "opens": entry.opens.isoformat() if entry.opens else None,
            "deadline": entry.deadline.isoformat() if entry.deadline else None,
            "only_when": json.dumps(list(entry.only_when), ensure_ascii=False),
        }
    )
    for lang, text in entry.texts.items():
        db["entry_texts"].insert(
            {"entry_id": entry.id, "lang": lang, "title": text.title, "answer": text.answer}
        )
        db["questions"].insert_all(
            {"entry_id": entry.id, "lang": lang, "text": q.text, "origin": q.origin, "added_at": at}
            for q in text.questions
        )


def _record_revision(
    db: sqlite_utils.Database, entry_id: str, at: str, editor: str, action: str,
    before: Entry | None, after: Entry | None, version: int,
) -> None:
    db["revisions"].insert(
        {
            "entry_id": entry_id, "at": at, "editor": editor, "action": action,
            "before": json.dumps(entry_to_dict(before), ensure_ascii=False) if before else None,
            "after": json.dumps(entry_to_dict(after), ensure_ascii=False) if after else None,
            "version": version,
        }
    )


def with_editor_questions(new: Entry, old: Entry | None) -> tuple[Entry, int]:
    """`new` plus the questions editors attached to `old` in Telegram, which files don't hold."""
    if old is None:
        return new, 0
    kept = 0
    texts = dict(new.texts)
    for lang, old_text in old.texts.items():
        extra = [q for q in old_text.questions if q.origin != "curated"]
        if not extra or lang not in texts:
            continue
        present = {q.text for q in texts[lang].questions}
        extra = [q for q in extra if q.text not in present]
        kept += len(extra)
        base = texts[lang]
        texts[lang] = EntryText(base.title, base.answer, (*base.questions, *extra))
    if not kept:
        return new, 0
    return replace(new, texts=texts), kept


def _count_dropped(new: Entry, old: Entry | None) -> int:
    """How many of `old`'s editor-added questions `new` does not have."""
    if old is None:
        return 0
    dropped = 0
    for lang, old_text in old.texts.items():
        present = {q.text for q in new.texts[lang].questions} if lang in new.texts else set()
        dropped += sum(1 for q in old_text.questions
                       if q.origin != "curated" and q.text not in present)
    return dropped


def apply_changes(
    db: sqlite_utils.Database,
    entries: Iterable[Entry],
    synonyms: Mapping[str, Mapping[str, str]] | None,
    editor: str,
    *,
    categories: Mapping[str, Mapping[str, str]] | None = None,
    scope: Mapping[str, object] | None = None,
    remove_missing: bool = True,
    keep_editor_questions: bool = True,
) -> ChangeSummary:
    """Make the store hold exactly `entries` (and `synonyms`), in one transaction.

    Questions editors attached in Telegram are carried over to the new version of their entry, so
    re-importing the files does not silently lose them; the summary counts them. With
    `keep_editor_questions=False` (an editor's explicit choice) they are dropped and counted in
    `dropped_editor_questions` instead.
    """
    summary = ChangeSummary()
    at = now_iso()
    with db.atomic():
        old = {e.id: e for e in read_entries(db)}
        version = knowledge_version(db) + 1
        incoming: dict[str, Entry] = {}
        for entry in entries:
            if not keep_editor_questions:
                dropped = _count_dropped(entry, old.get(entry.id))
                if dropped:
                    summary.dropped_editor_questions[entry.id] = dropped
                incoming[entry.id] = entry
                continue
            merged, kept = with_editor_questions(entry, old.get(entry.id))
            if kept:
                summary.kept_editor_questions[entry.id] = kept
            incoming[entry.id] = merged
        for entry_id, entry in sorted(incoming.items()):
            before = old.get(entry_id)
            if before is not None and entry_to_dict(before) == entry_to_dict(entry):
                summary.unchanged.append(entry_id)
                continue
            _write_entry(db, entry, at)
            action = "added" if before is None else "changed"
            (summary.added if before is None else summary.changed).append(entry_id)
            _record_revision(db, entry_id, at, editor, action, before, entry, version)
        if remove_missing:
            for entry_id in sorted(set(old) - set(incoming)):
                _delete_entry_rows(db, entry_id)
                summary.removed.append(entry_id)
                _record_revision(db, entry_id, at, editor, "removed", old[entry_id], None, version)
        if synonyms is not None and read_synonyms(db) != {k: dict(v) for k, v in synonyms.items()}:
            db.execute("delete from synonyms")
            db["synonyms"].insert_all(
                {"lang": lang, "term": term, "canonical": canonical}
                for lang, table in synonyms.items()
                for term, canonical in table.items()
            )
            summary.synonyms_changed = True
        if categories is not None and read_categories(db) != {
            slug: {"en": names["en"], "km": names["km"]} for slug, names in categories.items()
        }:
            db.execute("delete from categories")
            db["categories"].insert_all(
                {"slug": slug, "position": i, "en": names["en"], "km": names["km"]}
                for i, (slug, names) in enumerate(categories.items())
            )
            summary.synonyms_changed = True
        if scope is not None and write_scope(db, scope):
            summary.synonyms_changed = True
        if summary.any_change:
            db["meta"].upsert({"key": "knowledge_version", "value": str(version)}, pk="key")
        summary.version = knowledge_version(db)
    return summary


def save_entry(
    db: sqlite_utils.Database, entry_id: str, entry: Entry | None, editor: str, action: str
) -> int | None:
    """Set one entry to exactly `entry` (None removes it): one transaction, one revision.

    Unlike `apply_changes`, nothing is merged in: the entry is stored as given, questions and
    their origins included, which is what a rollback needs to restore text byte for byte.
    Returns the revision id, or None when the entry already was exactly that.
    """
    at = now_iso()
    with db.atomic():
        before = read_entry(db, entry_id)
        if (before is None and entry is None) or (
            before is not None and entry is not None
            and entry_to_dict(before) == entry_to_dict(entry)
        ):
            return None
        version = knowledge_version(db) + 1
        if entry is None:
            _delete_entry_rows(db, entry_id)
        else:
            _write_entry(db, entry, at)
        _record_revision(db, entry_id, at, editor, action, before, entry, version)
        db["meta"].upsert({"key": "knowledge_version", "value": str(version)}, pk="key")
        row = db.execute("select max(id) from revisions where entry_id = ?", [entry_id])
        return int(row.fetchone()[0])
