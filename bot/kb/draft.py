"""One entry edited outside the files (the web console): checked and saved like a file import.

A draft is the entry as its YAML file would hold it. It is validated by putting it in place of
its file among all the other entries, as the store would write them out, and running the very
same `validate` as `govbot kb validate`; saving goes through `apply_validated`, the path of
`govbot kb import`. So the console can accept nothing that an import would refuse, and every
save records revisions and bumps the knowledge version the running bot watches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlite_utils

from bot.assistant import Snapshot, make_snapshot
from bot.engine.scope import Scope
from bot.kb.export import files_form
from bot.kb.files import (
    CATEGORIES_FILE,
    SYNONYMS_FILE,
    KnowledgeFiles,
    RuleFiles,
    SourceFile,
    read_rules,
)
from bot.kb.importer import ImportResult, apply_validated
from bot.kb.validate import Problem, Validated, validate
from bot.model import Entry
from bot.store.knowledge import (
    knowledge_version,
    read_categories,
    read_entries,
    read_scope,
    read_synonyms,
    with_editor_questions,
)

ROOT = Path("knowledge")
DATE_FIELDS = ("reviewed", "expires", "opens", "deadline")


@dataclass(frozen=True)
class StoreFiles:
    """The store as a knowledge folder, parsed: what a draft is validated among."""

    version: int
    entries: tuple[SourceFile, ...]
    synonyms: SourceFile
    categories: SourceFile
    rules: RuleFiles


def store_files(db: sqlite_utils.Database, knowledge_dir: Path) -> StoreFiles:
    """Every entry as its file would hold it (`files_form`, dates as YAML reads them): what a
    draft is checked among, with `knowledge_dir`'s rule files (the domain lists that give a plain
    URL its standing, the Khmer style): the same checks as `govbot kb validate`. Callers may
    cache it per knowledge version."""
    with db.atomic():
        version = knowledge_version(db)
        entries = read_entries(db)
        synonyms = read_synonyms(db)
        categories = read_categories(db)
    return StoreFiles(
        version,
        tuple(SourceFile(ROOT / e.category / f"{e.id}.yaml", _as_read(e)) for e in entries),
        SourceFile(ROOT / SYNONYMS_FILE, synonyms),
        SourceFile(ROOT / CATEGORIES_FILE, categories),
        read_rules(knowledge_dir),
    )


def _as_read(entry: Entry) -> dict:
    data = files_form(entry)
    for name in DATE_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = date.fromisoformat(data[name])  # type: ignore[arg-type]
    data["sources"] = [
        {**s, "date": date.fromisoformat(s["date"])} if isinstance(s, dict)
        and isinstance(s.get("date"), str) else s
        for s in data.get("sources") or ()  # type: ignore[union-attr]
    ]
    return data


def stored_data(files: StoreFiles, entry_id: str | None) -> dict:
    """The stored entry's file data (empty for a new entry)."""
    found = next((s.data for s in files.entries if s.path.stem == entry_id), None)
    return dict(found) if isinstance(found, dict) else {}


def draft_path(data: dict) -> Path:
    """Where the draft's file would be: `<category>/<id>.yaml`."""
    return ROOT / str(data.get("category") or "_") / f"{data.get('id') or '_'}.yaml"


def check_draft(
    files: StoreFiles, data: dict, replaces: str | None, today: date | None = None
) -> Validated:
    """Validate the whole knowledge with `data` in place of entry `replaces` (None: a new
    entry). The draft comes last, so a clash (an id or question used twice) is reported on it."""
    others = [s for s in files.entries
              if replaces is None or s.path.stem != replaces]
    draft = SourceFile(draft_path(data), data)
    return validate(KnowledgeFiles(ROOT, [*others, draft], files.synonyms, files.categories,
                                   rules=files.rules), today)


def draft_problems(validated: Validated, data: dict) -> tuple[list[Problem], list[Problem]]:
    """(the draft's own problems, problems elsewhere that the draft causes or meets)."""
    path = draft_path(data)
    own = [p for p in validated.problems if p.path == path]
    elsewhere = [p for p in validated.errors if p.path != path]
    return own, elsewhere


@dataclass(frozen=True)
class Served:
    """What a draft's snapshot is built around: the stored entries (for the questions editors
    attached, which a save keeps), synonyms, categories and scope."""

    entries: dict[str, Entry]
    synonyms: dict[str, dict[str, str]]
    categories: dict[str, dict[str, str]]
    scope: dict[str, object]


def served(db: sqlite_utils.Database) -> Served:
    """Read what `draft_snapshot` needs, in one read transaction (quick: no indexing)."""
    with db.atomic():
        return Served({e.id: e for e in read_entries(db)}, read_synonyms(db),
                      read_categories(db), read_scope(db))


def draft_snapshot(base: Served, validated: Validated, today: date) -> Snapshot:
    """What the bot would answer from if the draft were saved (questions editors attached in
    Telegram kept, as a save keeps them). Pure and slow (it indexes every entry): callers in
    an event loop run it in a thread."""
    entries = [with_editor_questions(e, base.entries.get(e.id))[0] for e in validated.entries]
    # A whole proposed folder (`kb crosscheck PATH`, `kb import`) brings its own synonyms and
    # scope, and a change to either moves answers as surely as an entry does; a single draft
    # from the console, or a CSV, has none and is read with the served ones.
    synonyms = validated.synonyms or base.synonyms
    scope = base.scope if validated.scope is None else validated.scope
    return make_snapshot(-1, today, entries, synonyms, base.categories, Scope.from_lists(scope))


def save_draft(
    db: sqlite_utils.Database, validated: Validated, editor: str
) -> ImportResult:
    """Store the validated knowledge (draft included) exactly as `govbot kb import` would."""
    return apply_validated(db, validated, editor, tables=False)


def field_of(problem: Problem) -> str:
    """The form field a problem belongs to: "km.questions.3" → "km.questions", "sources.0.url"
    → "sources" (the parts before the first item number)."""
    parts = problem.field.split(".")
    numbered = next((i for i, part in enumerate(parts) if part.isdigit()), len(parts))
    return ".".join(parts[:numbered])


def problem_fields(problems: Sequence[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by form field, for showing each beside its field."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(field_of(problem), []).append(problem)
    return grouped
