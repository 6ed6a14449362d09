"""Accuracy on a labelled question file: the numbers thresholds are calibrated against.

A question labelled with topics should be answered with an entry of one of them (with that very
entry, where the row names one, as head questions do); a question labelled `[]` is out of scope
and must not be answered. A suggestion is not an answer: it counts
as "suggested with the right topic" when one of the choices is right.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.assistant import MAX_QUERY_CHARS, Answer, Assistant, Snapshot
from bot.engine.decide import ANSWER, SUGGEST, Thresholds
from bot.engine.normalize import detect_language
from bot.model import Entry

ANSWERED_WRONG = "answered wrong"


@dataclass(frozen=True)
class Labelled:
    """One evaluation question."""

    q: str
    lang: str
    topics: tuple[str, ...]
    # How it is written: "romanised" (Khmer in Latin letters, found by itself for a km row with
    # no Khmer script), or the file's own "kind" ("texting", "near-miss" …); "" when unknown.
    kind: str = ""
    # The entry that must answer it, where the file says (head questions): "" when any entry
    # of the topics will do.
    entry: str = ""


@dataclass
class LangReport:
    """Counts for one language."""

    in_scope: int = 0
    right: int = 0
    wrong: int = 0
    suggested_right: int = 0
    out_of_scope: int = 0
    out_not_answered: int = 0
    misses: list[tuple[Labelled, Answer]] = field(default_factory=list)
    # The in-scope questions not answered right, by why (`Decision.reason`; a wrong answer as
    # "answered wrong (the rule that answered)"): where the next change should aim.
    losses: Counter[str] = field(default_factory=Counter)

    def pct(self, part: int, whole: int) -> float:
        """Percentage, 0 when there is nothing to count."""
        return round(100.0 * part / whole, 1) if whole else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """The figures `govbot eval` prints."""
        return {
            "questions": self.in_scope + self.out_of_scope,
            "in_scope": self.in_scope,
            "answered_right_pct": self.pct(self.right, self.in_scope),
            "answered_wrong_pct": self.pct(self.wrong, self.in_scope),
            "suggested_right_pct": self.pct(self.suggested_right, self.in_scope),
            "out_of_scope": self.out_of_scope,
            "out_of_scope_not_answered_pct": self.pct(self.out_not_answered, self.out_of_scope),
        }


def read_labelled_files(paths: Iterable[Path]) -> tuple[list[Labelled], list[str]]:
    """The rows of every labelled file that exists, and the names of the files read: the
    question sets a change to the knowledge is checked against (head and dev questions)."""
    rows: list[Labelled] = []
    used: list[str] = []
    for path in paths:
        if path.is_file():
            rows += read_labelled(path.read_text(encoding="utf-8").splitlines())
            used.append(path.name)
    return rows, used


def read_labelled(lines: Iterable[str]) -> list[Labelled]:
    """Parse JSONL rows of {"q", "lang", "topic": [...]}; blank lines are skipped."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            topics = data.get("topic") or ()
            q, lang = str(data["q"]), str(data.get("lang", "auto"))
            rows.append(Labelled(q, lang, (topics,) if isinstance(topics, str) else tuple(topics),
                                 _kind(q, lang, data.get("kind")), str(data.get("entry") or "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f'line {number}: not a {{"q", "lang", "topic"}} object ({exc})'
            ) from exc
    return rows


def _kind(q: str, lang: str, given: object) -> str:
    if lang == "km" and detect_language(q) == "en":
        return "romanised"
    return str(given) if given in ("texting", "romanised") else ""


def _row_lang(row: Labelled) -> str | None:
    return row.lang if row.lang in ("km", "en") else None


def report_keys(row: Labelled, query_lang: str) -> tuple[str, ...]:
    """The rows of the report a question counts in: its language, "all", and its language's
    romanised or texting row (people who type Khmer in Latin letters, or text-speak English,
    must be served as well as the rest, so they are shown on their own)."""
    lang = _row_lang(row) or query_lang
    return (lang, "all", *((f"{lang} {row.kind}",) if row.kind else ()))


def evaluate(
    assistant: Assistant, rows: Iterable[Labelled], thresholds: Thresholds | None = None
) -> dict[str, LangReport]:
    """Ask every question and count outcomes per language (plus "all")."""
    reports: dict[str, LangReport] = {}
    for row in rows:
        answer = assistant.ask(row.q, _row_lang(row), thresholds)
        for key in report_keys(row, answer.query_lang):
            _count(reports.setdefault(key, LangReport()), row, answer)
    return reports


def sweep(
    assistant: Assistant, rows: list[Labelled], grid: Iterable[Thresholds]
) -> list[tuple[Thresholds, dict[str, LangReport]]]:
    """The same figures for each thresholds setting, ranking every question only once."""
    snapshot = assistant.snapshot
    ranked = [
        (row, snapshot.matcher.rank(row.q[:MAX_QUERY_CHARS]), detect_language(row.q))
        for row in rows
    ]
    results = []
    for thresholds in grid:
        reports: dict[str, LangReport] = {}
        for row, candidates, query_lang in ranked:
            answer = assistant.decide(snapshot, candidates, query_lang, _row_lang(row), thresholds)
            for key in report_keys(row, query_lang):
                _count(reports.setdefault(key, LangReport()), row, answer)
        results.append((thresholds, reports))
    return results


def _count(report: LangReport, row: Labelled, answer: Answer) -> None:
    answered = answer.status == ANSWER and answer.entry is not None
    if not row.topics:
        report.out_of_scope += 1
        if answered:
            report.misses.append((row, answer))
        else:
            report.out_not_answered += 1
        return
    report.in_scope += 1
    if answered and _fits(row, answer.entry):
        report.right += 1
        return
    report.losses[f"{ANSWERED_WRONG} ({answer.reason})" if answered else answer.reason] += 1
    if answered:
        report.wrong += 1
    elif answer.status == SUGGEST and any(_fits(row, s.entry) for s in answer.suggestions):
        report.suggested_right += 1
    report.misses.append((row, answer))


def _fits(row: Labelled, entry: Entry) -> bool:
    """Whether `entry` is a right answer to an in-scope row: the row's entry where it names one
    (a head question answered by a sibling of the same topic is wrong, as CI judges it), else
    any entry of its topics."""
    return entry.id == row.entry if row.entry else entry.topic in row.topics


@dataclass(frozen=True)
class Change:
    """A labelled question a draft would answer differently, and whether that is better."""

    row: Labelled
    before: Answer
    after: Answer

    @property
    def verdict(self) -> str:
        """"better", "worse" or "different", judged by the row's topic labels."""
        right_before, right_after = _is_right(self.row, self.before), _is_right(self.row,
                                                                                self.after)
        if right_before == right_after:
            return "different"
        return "better" if right_after else "worse"


def _outcome(answer: Answer) -> tuple[str, str | None, tuple[str, ...]]:
    return (answer.status, answer.entry.id if answer.entry else None,
            tuple(s.entry.id for s in answer.suggestions) if answer.entry is None else ())


def _is_right(row: Labelled, answer: Answer) -> bool:
    answered = answer.status == ANSWER and answer.entry is not None
    if not row.topics:
        return not answered
    return answered and _fits(row, answer.entry)  # type: ignore[arg-type]


def changed_answers(
    assistant: Assistant, draft: Snapshot, rows: Iterable[Labelled]
) -> list[Change]:
    """The questions whose answer (outcome, entry or choices offered) differs between the
    knowledge being served and `draft`: what an edit would change before it goes live."""
    changes = []
    for row in rows:
        before = assistant.ask(row.q, _row_lang(row))
        after = assistant.ask(row.q, _row_lang(row), snapshot=draft)
        if _outcome(before) != _outcome(after):
            changes.append(Change(row, before, after))
    return changes
