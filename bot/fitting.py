"""Fitting the matcher's recipe and the decision thresholds on data: `govbot fit`.

The numbers that turn scores into answers used to be moved by hand until a question set passed,
which tunes them to that set. Here they are chosen by one reproducible search instead:

- the data: the dev set (questions people wrote, including out-of-scope near-misses) and the
  knowledge base asked against itself (each entry's variants hidden in turn, `kb.crosscheck`);
- the objective: answered right minus `WRONG_COST` times answered wrong, averaged over the two,
  while the dev set's out-of-scope questions stay unanswered at least `OOS_FLOOR` of the time
  in each language (a wrong answer from a government help line costs more than "I don't know");
- the search: every combination of the grids below, deterministic, so the same data always
  gives the same numbers.

Other labelled sets (held-out, independent, head questions) are never used here: they judge
the result. Pure: entries and questions in, the choice and its figures out; the CLI reads the
store and writes `bot/engine/fitted.json`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from bot.engine.decide import ANSWER, DEFAULT_THRESHOLDS, Thresholds, decide
from bot.engine.matcher import DEFAULT_RECIPE, Candidate, Matcher, Recipe
from bot.engine.normalize import detect_language
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.evaluation import Labelled
from bot.kb.crosscheck import folds_of
from bot.model import Entry

WRONG_COST = 5.0
OOS_FLOOR = 95.0
MAX_QUERY_CHARS = 1000

RECIPE_GRID: dict[str, tuple[float, ...]] = {
    "entry_weight": (0.2, 0.3),
    "pooled_weight": (0.0, 0.1, 0.2),
}
# Every how-many-th hidden variant of the knowledge base is asked: the ranking is the costly
# part of a fit, and half of some 8,000 variants measures the same trade-offs.
KB_SAMPLE_EVERY = 2
THRESHOLD_GRID: dict[str, tuple[float, ...]] = {
    "answer": (40.0, 42.5, 45.0, 47.5, 50.0, 52.5, 55.0, 60.0),
    "margin": (2.0, 3.0, 4.0, 6.0),
    "lead_target": (48.0, 52.0, 56.0, 60.0),
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


@dataclass(frozen=True)
class FitResult:
    """The chosen recipe and thresholds, their objective and figures on each part of the data."""

    recipe: Recipe
    thresholds: Thresholds
    objective: float
    dev: Figures
    knowledge: Figures

    def as_dict(self) -> dict[str, object]:
        """The content of fitted.json."""
        recipe, thresholds = asdict(self.recipe), asdict(self.thresholds)
        return {
            "recipe": {k: recipe[k] for k in RECIPE_GRID},
            "thresholds": {k: thresholds[k] for k in THRESHOLD_GRID},
            "objective": round(self.objective, 2),
            "fitted_on": {
                "dev": asdict(self.dev),
                "knowledge_base_crossvalidation": asdict(self.knowledge),
            },
            "rule": f"right - {WRONG_COST:g} x wrong, averaged over dev and the knowledge base; "
                    f"dev out-of-scope not answered >= {OOS_FLOOR:g}% in each language",
        }


def _ask_all(matcher: Matcher, rows: Iterable[tuple[str, str, tuple[str, ...]]]
             ) -> list[Asked]:
    return [Asked(lang, topics, tuple(matcher.rank(q[:MAX_QUERY_CHARS])))
            for q, lang, topics in rows]


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
    return Figures(round(right * share, 2), round(wrong * share, 2),
                   {lang: round(100.0 * ok / n, 2) for lang, (n, ok) in sorted(oos.items())})


def fit(
    entries: Iterable[Entry], analyzer: Analyzer, scope: Scope, dev: Sequence[Labelled],
    folds: int = 2, progress: Callable[[str], None] = lambda _: None,
) -> FitResult:
    """Search the grids; the best combination by the objective, ties to the earlier one."""
    entries = list(entries)
    topic_of = {e.id: e.topic for e in entries}
    dev_rows = [(r.q, r.lang if r.lang in ("en", "km") else detect_language(r.q), r.topics)
                for r in dev]
    best: FitResult | None = None
    best_key: tuple[float, float] | None = None
    for values in itertools.product(*RECIPE_GRID.values()):
        recipe = replace(DEFAULT_RECIPE, **dict(zip(RECIPE_GRID, values, strict=True)))
        progress(f"ranking with {dict(zip(RECIPE_GRID, values, strict=True))}")
        asked_dev = _ask_all(Matcher(entries, analyzer, recipe, scope=scope), dev_rows)
        asked_kb: list[Asked] = []
        for kept, hidden in folds_of(entries, folds):
            matcher = Matcher(kept, analyzer, recipe, scope=scope)
            asked_kb.extend(_ask_all(matcher, ((text, lang, (entry.topic,))
                                               for entry, lang, text in
                                               hidden[::KB_SAMPLE_EVERY])))
        for t_values in itertools.product(*THRESHOLD_GRID.values()):
            thresholds = replace(DEFAULT_THRESHOLDS,
                                 **dict(zip(THRESHOLD_GRID, t_values, strict=True)))
            on_dev = _figures(asked_dev, thresholds, topic_of)
            on_kb = _figures(asked_kb, thresholds, topic_of)
            floor = min(on_dev.oos_not_answered.values(), default=100.0)
            objective = ((on_dev.right - WRONG_COST * on_dev.wrong)
                         + (on_kb.right - WRONG_COST * on_kb.wrong)) / 2
            # The out-of-scope share first, up to the floor; then the objective. Where no
            # combination reaches the floor, the best of those that come closest.
            key = (min(floor, OOS_FLOOR), objective)
            if best_key is None or key > best_key:
                best_key, best = key, FitResult(recipe, thresholds, objective, on_dev, on_kb)
    assert best is not None
    return best
