"""Knowledge files → store: validate everything first, then apply all of it or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.kb.files import read_folder
from bot.kb.validate import Validated, validate
from bot.store.knowledge import ChangeSummary, apply_changes


@dataclass
class ImportResult:
    """Validation outcome, and the change summary when the import went ahead."""

    validated: Validated
    summary: ChangeSummary | None


def load_knowledge(path: Path) -> Validated:
    """Read and validate a knowledge folder without touching any store."""
    if not path.is_dir():
        raise FileNotFoundError(f"knowledge folder not found: {path}")
    return validate(read_folder(path))


def import_knowledge(db: sqlite_utils.Database, path: Path, editor: str) -> ImportResult:
    """Validate `path`; when it has no errors, make the store match it in one transaction."""
    validated = load_knowledge(path)
    if validated.errors:
        return ImportResult(validated, None)
    summary = apply_changes(
        db, validated.entries, validated.synonyms, editor, categories=validated.categories
    )
    return ImportResult(validated, summary)
