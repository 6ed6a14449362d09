"""The material every benchmark row shares: the bundled entries and the dev set's questions.

One loader, so that govbot and each baseline are measured on exactly the same entries and the
same questions; a row that saw different data would make its ratio meaningless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.config import PACKAGE_DIR, bundled_path
from bot.engine.scope import Scope
from bot.kb.importer import load_knowledge
from bot.model import Entry

DEV_QUESTIONS = PACKAGE_DIR.parent / "tests" / "data" / "dev_questions.jsonl"


@dataclass(frozen=True)
class Question:
    """One dev-set question; `topics` empty means out of scope (never counted for accuracy)."""

    q: str
    lang: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    """One indexed text (a title or a question variant) of one entry, as the baselines see it."""

    text: str
    entry_id: str
    lang: str


@dataclass(frozen=True)
class KnowledgeBase:
    """Entries that may be served as current, with the synonyms the analyzer applies."""

    entries: tuple[Entry, ...]
    synonyms: dict[str, dict[str, str]]
    scope: Scope = field(default_factory=Scope)

    def topic_of(self) -> dict[str, str]:
        """Entry id → topic: accuracy is judged on topics, as `govbot eval` does."""
        return {e.id: e.topic for e in self.entries}

    def variants(self) -> list[Variant]:
        """Every title and question variant, both languages: the same rows govbot indexes."""
        return [
            Variant(text, entry.id, lang)
            for entry in self.entries
            for lang, entry_text in entry.texts.items()
            for text in (entry_text.title, *(q.text for q in entry_text.questions))
            if text.strip()
        ]


def bundled_kb(path: Path | None = None, today: date | None = None) -> KnowledgeBase:
    """The bundled `knowledge/` folder, validated, keeping what the bot would serve today."""
    validated = load_knowledge(path or bundled_path("knowledge"))
    if validated.errors:
        raise ValueError(f"the knowledge in {path} is invalid; run `govbot kb validate`")
    today = today or date.today()
    current = tuple(e for e in validated.entries if e.is_current(today))
    return KnowledgeBase(current, validated.synonyms, Scope.from_lists(validated.scope or {}))


def dev_questions(path: Path = DEV_QUESTIONS) -> list[Question]:
    """The labelled development questions (tests/data/dev_questions.jsonl), in file order."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                data = json.loads(line)
                rows.append(Question(str(data["q"]), str(data.get("lang", "en")),
                                     tuple(data.get("topic") or ())))
    return rows


def spread(questions: list[Question], count: int) -> list[Question]:
    """`count` questions picked evenly through the file, so both languages and out-of-scope
    questions stay represented in a quick run."""
    if count >= len(questions):
        return list(questions)
    step = len(questions) / count
    return [questions[int(i * step)] for i in range(count)]
