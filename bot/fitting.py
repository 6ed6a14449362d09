"""Fitting the matcher's recipe and the decision thresholds on data: `govbot fit`.

The numbers that turn scores into answers used to be moved by hand until a question set passed,
which tunes them to that set. Here they are chosen by one reproducible search instead:

- the data: the dev set (questions people wrote, including out-of-scope near-misses) and the
  knowledge base asked against itself (each entry's variants hidden in turn, `kb.crosscheck`);
- the objective: answered right minus `WRONG_COST` times answered wrong, averaged over the two,
  where answering an out-of-scope question counts as a wrong answer (a wrong answer from a
  government help line costs more than "I don't know");
- the model: for each matching recipe, a logistic confidence model (`engine.confidence`) is
  fitted on the same questions (is the best-ranked entry right?), the two parts weighing
  equally; then the certainty from which it answers and the margin over other topics are
  searched;
- the must-pass list: a combination that would answer a head question (the plain question
  people ask most, labelled with its entry) otherwise than with its entry is set aside, as CI
  would refuse it;
- the search: every combination of the grids below, deterministic, so the same data always
  gives the same numbers.

Other labelled sets (held-out, independent) are never used here: they judge the result.
Pure: entries and questions in, the choice and its figures out; the CLI reads the store and
writes `bot/engine/fitted.json`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from bot.engine.confidence import Confidence, features, fit_confidence
from bot.engine.decide import ANSWER, DEFAULT_THRESHOLDS, Thresholds, decide, weighed_by_model
from bot.engine.matcher import DEFAULT_RECIPE, Candidate, Matcher, Recipe
from bot.engine.normalize import detect_language
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.evaluation import Labelled
from bot.kb.crosscheck import folds_of
from bot.model import Entry

WRONG_COST = 5.0
MAX_QUERY_CHARS = 1000

RECIPE_GRID: dict[str, tuple[float, ...]] = {
    "entry_weight": (0.2, 0.3),
    "pooled_weight": (0.0, 0.1, 0.2),
}
# Every how-many-th hidden variant of the knowledge base is asked: the ranking is the costly
# part of a fit, and half of some 8,000 variants measures the same trade-offs.
KB_SAMPLE_EVERY = 2
THRESHOLD_GRID: dict[str, tuple[float, ...]] = {
    "certainty": tuple(round(0.3 + 0.025 * i, 3) for i in range(27)),  # 0.30 … 0.95
    "margin": (0.0, 2.0, 4.0),
}


@dataclass(frozen=True)
class Asked:
    """One labelled question, ranked once: its language, right topics ([] = not ours)."""

    lang: str
    topics: tuple[str, ...]
    ranked: tuple[Candidate, ...]


@dataclass(frozen=True)
class Figures:
    """Shares (0–100) on one part of the data."""

    right: float
    wrong: float
    oos_not_answered: dict[str, float]
    # out-of-scope questions answered, per 100 in-scope ones: wrong answers too
    oos_answered: float = 0.0

    @property
    def objective(self) -> float:
        """Right minus the cost of every wrong answer, out-of-scope ones included."""
        return self.right - WRONG_COST * (self.wrong + self.oos_answered)


@dataclass(frozen=True)
class FitResult:
    """The chosen recipe and thresholds, their objective and figures on each part of the data."""

    recipe: Recipe
    thresholds: Thresholds
    confidence: Confidence
    objective: float
    dev: Figures
    knowledge: Figures
    head_missed: int = 0  # head questions not answered with their entry (0 unless none can be)

    def as_dict(self) -> dict[str, object]:
        """The content of fitted.json."""
        recipe, thresholds = asdict(self.recipe), asdict(self.thresholds)
        return {
            "recipe": {k: recipe[k] for k in RECIPE_GRID},
            "thresholds": {k: thresholds[k] for k in THRESHOLD_GRID},
            "confidence": self.confidence.as_dict(),
            "objective": round(self.objective, 2),
            "fitted_on": {
                "dev": asdict(self.dev),
                "knowledge_base_crossvalidation": asdict(self.knowledge),
                "head_questions_missed": self.head_missed,
            },
            "rule": f"confidence: logistic regression on dev and the knowledge base (equal "
                    f"weight); then right - {WRONG_COST:g} x wrong, averaged over the two, "
                    f"an out-of-scope question answered counting as wrong",
        }


def _ask_all(matcher: Matcher, rows: Iterable[tuple[str, str, tuple[str, ...]]]
             ) -> list[Asked]:
    return [Asked(lang, topics, tuple(matcher.rank(q[:MAX_QUERY_CHARS])))
            for q, lang, topics in rows]


def _model(parts: Sequence[Sequence[Asked]], topic_of: dict[str, str]) -> Confidence:
    """The confidence model fitted on every question the decision would weigh with it
    (`weighed_by_model`), each part of the data weighing the same in all."""
    rows, right, weight = [], [], []
    for part in parts:
        kept = []
        for item in part:
            ranked = list(item.ranked)
            if weighed_by_model(ranked, DEFAULT_THRESHOLDS, topic_of):
                kept.append((features(ranked, topic_of),
                             topic_of[ranked[0].entry_id] in item.topics))
        for values, is_right in kept:
            rows.append(values)
            right.append(is_right)
            weight.append(1.0 / len(kept))
    return fit_confidence(rows, right, weight)


def _figures(asked: Sequence[Asked], thresholds: Thresholds, topic_of: dict[str, str]
             ) -> Figures:
    right = wrong = in_scope = 0
    oos: dict[str, list[int]] = {}
    for item in asked:
        decision = decide(list(item.ranked), thresholds, topic_of)
        answered = decision.status == ANSWER and decision.best is not None
        if not item.topics:
            tally = oos.setdefault(item.lang, [0, 0])
            tally[0] += 1
            tally[1] += not answered
            continue
        in_scope += 1
        if answered:
            if topic_of[decision.best.entry_id] in item.topics:  # type: ignore[union-attr]
                right += 1
            else:
                wrong += 1
    share = 100.0 / max(in_scope, 1)
    answered_oos = sum(n - ok for n, ok in oos.values())
    return Figures(round(right * share, 2), round(wrong * share, 2),
                   {lang: round(100.0 * ok / n, 2) for lang, (n, ok) in sorted(oos.items())},
                   round(answered_oos * share, 2))


def _head_missed(asked: Sequence[tuple[str, tuple[Candidate, ...]]], thresholds: Thresholds,
                 topic_of: dict[str, str]) -> int:
    missed = 0
    for entry_id, ranked in asked:
        decision = decide(list(ranked), thresholds, topic_of)
        missed += decision.status != ANSWER or decision.best is None or \
            decision.best.entry_id != entry_id
    return missed


def fit(
    entries: Iterable[Entry], analyzer: Analyzer, scope: Scope, dev: Sequence[Labelled],
    folds: int = 2, progress: Callable[[str], None] = lambda _: None,
    head: Sequence[Labelled] = (),
) -> FitResult:
    """Search the grids; the best combination by the objective among those that answer every
    head question with its entry (or, when none does, miss the fewest), ties to the earlier."""
    entries = list(entries)
    topic_of = {e.id: e.topic for e in entries}
    dev_rows = [(r.q, r.lang if r.lang in ("en", "km") else detect_language(r.q), r.topics)
                for r in dev]
    best: FitResult | None = None
    best_key: tuple[int, float] | None = None
    for values in itertools.product(*RECIPE_GRID.values()):
        recipe = replace(DEFAULT_RECIPE, **dict(zip(RECIPE_GRID, values, strict=True)))
        progress(f"ranking with {dict(zip(RECIPE_GRID, values, strict=True))}")
        whole = Matcher(entries, analyzer, recipe, scope=scope)
        asked_dev = _ask_all(whole, dev_rows)
        asked_head = [(row.entry, tuple(whole.rank(row.q[:MAX_QUERY_CHARS])))
                      for row in head if row.entry]
        asked_kb: list[Asked] = []
        for kept, hidden in folds_of(entries, folds):
            matcher = Matcher(kept, analyzer, recipe, scope=scope)
            asked_kb.extend(_ask_all(matcher, ((text, lang, (entry.topic,))
                                               for entry, lang, text in
                                               hidden[::KB_SAMPLE_EVERY])))
        model = _model((asked_dev, asked_kb), topic_of)
        for t_values in itertools.product(*THRESHOLD_GRID.values()):
            thresholds = replace(DEFAULT_THRESHOLDS, confidence=model,
                                 **dict(zip(THRESHOLD_GRID, t_values, strict=True)))
            on_dev = _figures(asked_dev, thresholds, topic_of)
            on_kb = _figures(asked_kb, thresholds, topic_of)
            objective = (on_dev.objective + on_kb.objective) / 2
            missed = _head_missed(asked_head, thresholds, topic_of)
            if best_key is None or (-missed, objective) > best_key:
                best_key = (-missed, objective)
                best = FitResult(recipe, thresholds, model, objective, on_dev, on_kb, missed)
    assert best is not None
    return best
