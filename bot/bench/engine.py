"""Engine rows: per-question latency, top-1 topic accuracy and index memory of govbot and the
baselines, on the bundled knowledge base and on synthetic ones of growing size.

Every system is built and timed in its own child process (`measure.isolated`) so that memory
figures are its own and no system runs in the garbage another left behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.bench.baselines import BM25Baseline, DifflibMatcher, PooledBM25, RapidfuzzWRatio
from bot.bench.data import KnowledgeBase, Question
from bot.bench.measure import Footprint, Latency, footprint, isolated
from bot.bench.synthetic import Pool, synthetic_kb
from bot.engine.decide import DEFAULT_THRESHOLDS, decide
from bot.engine.matcher import Matcher
from bot.engine.normalize import MAX_CHARS, detect_language
from bot.engine.segment import Analyzer

# The same cut as bot.assistant (that module pulls in the store, so not imported from there).
MAX_QUERY_CHARS = MAX_CHARS
WARMUP_QUESTIONS = 5


class Ranker(Protocol):
    """A question → the id of the entry it would answer with (None: nothing matched)."""

    label: str

    def __len__(self) -> int: ...

    def top(self, query: str) -> str | None: ...


class GovbotRanker:
    """The engine as the assistant runs it: rank (normalise, segment, narrow, rapidfuzz) then
    decide; i.e. `Assistant.ask` without the store. Top-1 is the best candidate, whatever the
    decision, so that accuracy compares like with like against threshold-free baselines."""

    label = "govbot"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.matcher = Matcher(kb.entries, Analyzer(kb.synonyms), scope=kb.scope)
        self._topic_of = kb.topic_of()

    def __len__(self) -> int:
        return len(self.matcher)

    def top(self, query: str) -> str | None:
        """The best-ranked entry, after the full decision the bot would make."""
        ranked = self.matcher.rank(query[:MAX_QUERY_CHARS])
        detect_language(query)
        decide(ranked, DEFAULT_THRESHOLDS, self._topic_of)
        return ranked[0].entry_id if ranked else None


SYSTEMS: dict[str, Callable[[KnowledgeBase], Ranker]] = {
    "govbot": GovbotRanker,
    "difflib": DifflibMatcher,
    "rapidfuzz": RapidfuzzWRatio,
    "bm25": BM25Baseline,
    "bm25-pooled": PooledBM25,
}
BASELINES = ("difflib", "rapidfuzz", "bm25", "bm25-pooled")


@dataclass(frozen=True)
class EngineResult:
    """One system on one knowledge base."""

    system: str
    label: str
    kb: str
    rows: int
    entries: int
    latency: Latency
    accuracy: dict[str, float]  # "en", "km", "all" → % of in-scope questions right at top-1
    footprint: Footprint


def _accuracy(
    answers: Sequence[str | None], questions: Sequence[Question], topic_of: dict[str, str]
) -> dict[str, float]:
    right: dict[str, list[int]] = {}
    for answer, question in zip(answers, questions, strict=True):
        if not question.topics:
            continue
        hit = int(answer is not None and topic_of.get(answer) in question.topics)
        for key in (question.lang, "all"):
            right.setdefault(key, []).append(hit)
    return {key: round(100.0 * sum(hits) / len(hits), 1) for key, hits in right.items()}


def measure(
    system: str, kb: KnowledgeBase, questions: Sequence[Question], runs: int, budget_s: float,
    kb_label: str = "bundled",
) -> EngineResult:
    """Build `system` over `kb`, then time every question `runs` times (fewer when one run
    already takes a good part of `budget_s`: difflib at 280 ms a question is measured once)."""
    ranker, cost = footprint(lambda: SYSTEMS[system](kb))
    for question in questions[:WARMUP_QUESTIONS]:
        ranker.top(question.q)
    samples: list[float] = []
    answers: list[str | None] = []
    clock = time.perf_counter
    done = 0
    started = clock()
    while done < max(runs, 1):
        for question in questions:
            t0 = clock()
            answer = ranker.top(question.q)
            samples.append(clock() - t0)
            if done == 0:
                answers.append(answer)
        done += 1
        per_run = (clock() - started) / done
        if clock() - started + per_run > budget_s:
            break
    return EngineResult(
        system=system, label=ranker.label, kb=kb_label, rows=len(ranker),
        entries=len(kb.entries), latency=Latency.of(samples, done),
        accuracy=_accuracy(answers, questions, kb.topic_of()), footprint=cost,
    )


def _measure_synthetic(
    system: str, base: KnowledgeBase, pool: Pool, size: int, seed: int,
    questions: Sequence[Question], runs: int, budget_s: float,
) -> EngineResult:
    """Generate the synthetic knowledge base inside the child, then measure (see `measure`)."""
    kb = synthetic_kb(base, size, seed, pool)
    return measure(system, kb, questions, runs, budget_s, kb_label=f"synthetic {size:,}")


def bundled_rows(
    kb: KnowledgeBase, questions: Sequence[Question], runs: int, budget_s: float,
    progress: Callable[[str], None] = lambda _: None,
) -> list[EngineResult]:
    """govbot and the baselines on the bundled knowledge base, each in its own process."""
    results = []
    for system in ("govbot", *BASELINES):
        progress(f"engine: {system} on the bundled knowledge base")
        results.append(isolated(measure, system, kb, list(questions), runs, budget_s))
    return results


def fastest_baseline(results: Sequence[EngineResult]) -> str:
    """The baseline with the lowest median latency: the one worth scaling against."""
    baselines = [r for r in results if r.system in BASELINES]
    return min(baselines, key=lambda r: r.latency.p50_ms).system


def scaling_rows(
    base: KnowledgeBase, pool: Pool, sizes: Sequence[int], baseline: str | None,
    questions: Sequence[Question], runs: int, budget_s: float, seed: int,
    progress: Callable[[str], None] = lambda _: None,
) -> list[EngineResult]:
    """govbot (and the fastest baseline) on synthetic knowledge bases of each size."""
    results = []
    for size in sizes:
        for system in ("govbot", baseline) if baseline else ("govbot",):
            progress(f"scaling: {system} on {size:,} synthetic variants")
            results.append(isolated(_measure_synthetic, system, base, pool, size, seed,
                                    list(questions), runs, budget_s))
    return results
