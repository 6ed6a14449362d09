"""Which entries lose their own questions: the knowledge base asked against itself.

An editor cannot see which question variants make an entry win. Hiding part of every entry's
variants and asking them against the rest shows it: an entry whose hidden variants go to another
topic, or only earn "did you mean", will do the same with the questions people really send. The
cure is in docs/content-guide.md §4 (a distinguishing word in every variant, the bare service
name only on the overview entry). Pure: entries in, figures out; the CLI reads the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.engine.decide import ANSWER, Thresholds, decide
from bot.engine.matcher import Matcher
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.model import Entry, EntryText


@dataclass(frozen=True)
class EntryCheck:
    """How one entry's hidden variants in one language were answered."""

    entry_id: str
    lang: str
    asked: int
    right: int  # answered with the entry's own topic
    wrong: int  # answered with another topic
    sibling: int  # of `right`, answered by another entry of the same topic (fees for offices)
    lost_to: tuple[tuple[str, int], ...]  # the entries that answered them instead, most first

    @property
    def right_pct(self) -> float:
        """Share answered with the entry's topic (0–100)."""
        return round(100.0 * self.right / self.asked, 1) if self.asked else 100.0

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (for `govbot kb crosscheck --json`)."""
        return {"id": self.entry_id, "lang": self.lang, "asked": self.asked, "right": self.right,
                "wrong": self.wrong, "sibling": self.sibling, "right_pct": self.right_pct,
                "lost_to": [{"id": i, "questions": n} for i, n in self.lost_to]}


def _fold(
    entries: list[Entry], fold: int, folds: int
) -> tuple[list[Entry], list[tuple[Entry, str, str]]]:
    kept: list[Entry] = []
    hidden: list[tuple[Entry, str, str]] = []
    for entry in entries:
        texts: dict[str, EntryText] = {}
        for lang, text in entry.texts.items():
            keep = []
            for i, question in enumerate(text.questions):
                if i % folds == fold:
                    hidden.append((entry, lang, question.text))
                else:
                    keep.append(question)
            texts[lang] = replace(text, questions=tuple(keep))
        kept.append(replace(entry, texts=texts))
    return kept, hidden


def folds_of(
    entries: list[Entry], folds: int
) -> Iterable[tuple[list[Entry], list[tuple[Entry, str, str]]]]:
    """For each fold: the entries without that share of their variants, and the hidden ones
    as (entry, language, question)."""
    for fold in range(folds):
        yield _fold(entries, fold, folds)


def crosscheck(
    entries: Iterable[Entry], analyzer: Analyzer, thresholds: Thresholds, folds: int = 2,
    scope: Scope | None = None,
) -> list[EntryCheck]:
    """Every entry and language, weakest first: each variant is asked once, against an index
    built without its share of the variants (`folds` shares)."""
    entries = list(entries)
    topic_of = {e.id: e.topic for e in entries}
    counts: dict[tuple[str, str], list[int]] = {}
    lost: dict[tuple[str, str], Counter[str]] = {}
    for kept, hidden in folds_of(entries, folds):
        matcher = Matcher(kept, analyzer, scope=scope)
        for entry, lang, text in hidden:
            key = (entry.id, lang)
            tally = counts.setdefault(key, [0, 0, 0, 0])
            tally[0] += 1
            decision = decide(matcher.rank(text), thresholds, topic_of)
            if decision.status != ANSWER or decision.best is None:
                continue
            if topic_of[decision.best.entry_id] == entry.topic:
                tally[1] += 1
                tally[3] += decision.best.entry_id != entry.id
            else:
                tally[2] += 1
                lost.setdefault(key, Counter())[decision.best.entry_id] += 1
    checks = [
        EntryCheck(entry_id, lang, asked, right, wrong, sibling,
                   tuple(lost.get((entry_id, lang), Counter()).most_common()))
        for (entry_id, lang), (asked, right, wrong, sibling) in counts.items()
    ]
    return sorted(checks, key=lambda c: (c.right_pct, -c.wrong, c.entry_id, c.lang))
