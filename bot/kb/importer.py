"""Knowledge files → store: validate everything first, then apply all of it or nothing.

The source is a knowledge folder (`knowledge/`) or a CSV export of one (`govbot kb export
--format csv`, edited in a spreadsheet); both go through the same validation and the same
single-transaction apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import sqlite_utils

from bot.config import bundled_path
from bot.kb.csvfile import load_csv
from bot.kb.files import read_folder, read_rules
from bot.kb.validate import Validated, validate
from bot.model import Entry, EntryText
from bot.store.knowledge import ChangeSummary, apply_changes, read_categories
from bot.store.outbox import announce_version


@dataclass
class ImportResult:
    """Validation outcome, and the change summary when the import went ahead."""

    validated: Validated
    summary: ChangeSummary | None
    notified: int = 0  # messages queued for subscribers of what changed


def is_csv(path: Path) -> bool:
    """True for a CSV export (a file ending in .csv) rather than a knowledge folder."""
    return path.suffix.lower() == ".csv" and not path.is_dir()


def load_knowledge(
    path: Path, categories: Mapping[str, Mapping[str, str]] | None = None,
    rules_from: Path | None = None,
) -> Validated:
    """Read and validate a knowledge folder (or CSV export) without touching any store.

    `categories` and `rules_from` matter only for a CSV, which carries neither: the store's
    categories when known, and the knowledge folder whose rule files (sources.yaml,
    khmer-style.yaml, dated-words.yaml) apply (the bundled one by default).
    """
    if is_csv(path):
        if not path.is_file():
            raise FileNotFoundError(f"CSV file not found: {path}")
        return load_csv(path, categories, read_rules(rules_from or bundled_path("knowledge")))
    if not path.is_dir():
        raise FileNotFoundError(f"knowledge folder not found: {path}")
    return validate(read_folder(path))


def _curated_only(entry: Entry) -> Entry:
    return replace(entry, texts={
        lang: EntryText(t.title, t.answer, tuple(q for q in t.questions if q.origin == "curated"))
        for lang, t in entry.texts.items()
    })


def files_hold(path: Path, entry_id: str, entry: Entry | None) -> bool | None:
    """Whether the knowledge files at `path` hold `entry` as it is (None: an absent entry).

    Why: after a rollback the editor must know whether the next import would undo it. That
    depends on what the files hold, not on how the last change came in (a CSV import leaves
    the folder at the older version). None when the files cannot be read to tell.
    """
    try:
        validated = load_knowledge(path)
    except FileNotFoundError:
        return None
    if validated.errors:
        return None
    found = next((e for e in validated.entries if e.id == entry_id), None)
    if found is None or entry is None:
        return found is None and entry is None
    return _curated_only(found) == _curated_only(entry)


def import_knowledge(
    db: sqlite_utils.Database, path: Path, editor: str, *, keep_editor_questions: bool = True,
    notify: bool = True, rules_from: Path | None = None,
) -> ImportResult:
    """Validate `path`; when it has no errors, make the store match it in one transaction.

    Questions editors attached in Telegram are kept (and counted in the summary) unless
    `keep_editor_questions` is False. A CSV leaves the store's synonyms and categories alone.
    With `notify`, subscribers of the topics of new or changed entries get one message each,
    queued in the outbox in the same transaction (sent by the running bot). `rules_from`:
    see `load_knowledge`.
    """
    csv_source = is_csv(path)
    validated = load_knowledge(path, read_categories(db) if csv_source else None, rules_from)
    return apply_validated(db, validated, editor, tables=not csv_source,
                           keep_editor_questions=keep_editor_questions, notify=notify)


def apply_validated(
    db: sqlite_utils.Database, validated: Validated, editor: str, *, tables: bool,
    keep_editor_questions: bool = True, notify: bool = True,
) -> ImportResult:
    """The one path every content change takes (files, CSV, the web console): nothing when
    `validated` has errors, else the store made to hold exactly its entries in one transaction,
    with a revision per changed entry and the subscribers' messages queued. `tables`: also
    replace synonyms, categories and scope (a folder has them; a CSV or one edited entry does
    not).
    """
    if validated.errors:
        return ImportResult(validated, None)
    entries = validated.entries if keep_editor_questions else [
        _curated_only(e) for e in validated.entries]
    notified = 0
    with db.atomic():
        summary = apply_changes(
            db, entries, validated.synonyms if tables else None, editor,
            categories=validated.categories if tables else None,
            scope=validated.scope if tables else None,
            keep_editor_questions=keep_editor_questions,
        )
        if notify and (summary.added or summary.changed):
            notified = announce_version(db, summary.version)
    return ImportResult(validated, summary, notified)
