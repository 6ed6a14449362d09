"""One benchmark run: which sections, at what sizes and repeats, in which order.

Order matters: the engine and scaling sections fork child processes, so they run before the
end-to-end section starts an event loop and a bot process.
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.bench.coldstart import cold_start
from bot.bench.data import DEV_QUESTIONS, Question, bundled_kb, dev_questions, spread
from bot.bench.e2e import E2EResult, py_spy, run_e2e
from bot.bench.engine import bundled_rows, fastest_baseline, scaling_rows
from bot.bench.report import Report
from bot.bench.synthetic import DEFAULT_SEED, variant_pool

SECTIONS = ("engine", "scaling", "e2e", "cold")


@dataclass(frozen=True)
class BenchOptions:
    """What to run. The defaults are the full benchmark (a few minutes on 2 cores); `quick()`
    is a smoke run for tests, whose figures are not worth quoting."""

    sections: tuple[str, ...] = SECTIONS
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    runs: int = 5
    budget_s: float = 25.0  # per system and knowledge base; slow systems get fewer runs
    questions: int | None = None  # None: the whole dev set
    questions_path: Path = DEV_QUESTIONS
    users: int = 50
    messages: int = 2_000
    e2e_runs: int = 3
    rate: float = 300.0  # questions/s offered in the paced run (the target); 0 skips it
    shipped_messages: int = 300  # runs with the shipped 30/s cap; 0 skips them
    shipped_rate: float = 25.0  # paced just under Telegram's 30/s: what users wait in production
    cold_first: int = 3
    cold_existing: int = 5
    cold_large: int = 100_000  # rows of the synthetic store for the restart figures; 0 skips
    seed: int = DEFAULT_SEED
    workdir: Path | None = None
    profile_dir: Path | None = None  # py-spy profiles of the bot in the end-to-end runs

    @classmethod
    def quick(cls, **changes: object) -> BenchOptions:
        """Everything once, small: for a test that the table is complete, in seconds."""
        base = dict(sizes=(300, 1_000), runs=1, budget_s=2.0, questions=12, users=4,
                    messages=24, e2e_runs=1, rate=40.0, shipped_messages=0, cold_first=1,
                    cold_existing=1, cold_large=1_000)
        base.update(changes)
        return cls(**base)  # type: ignore[arg-type]


def machine() -> str:
    """A line describing where the figures come from."""
    return (f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")


def run_bench(
    options: BenchOptions, progress: Callable[[str], None] = lambda _: None
) -> Report:
    """Run the chosen sections and return every figure."""
    report = Report(machine=machine())
    if not options.questions_path.is_file():
        raise RuntimeError(f"the benchmark asks the dev set's questions and needs "
                           f"{options.questions_path} (a source checkout)")
    questions = dev_questions(options.questions_path)
    if options.questions:
        questions = spread(questions, options.questions)
    with tempfile.TemporaryDirectory(prefix="govbot-bench-") as tmp:
        workdir = options.workdir or Path(tmp)
        if "engine" in options.sections or "scaling" in options.sections:
            kb = bundled_kb()
            engine = bundled_rows(kb, questions, options.runs, options.budget_s, progress)
            if "engine" in options.sections:
                report.engine = engine
            if "scaling" in options.sections and options.sizes:
                report.scaling = scaling_rows(
                    kb, variant_pool(kb), options.sizes, fastest_baseline(engine), questions,
                    options.runs, options.budget_s, options.seed, progress,
                )
        if "e2e" in options.sections:
            report.e2e = _e2e(options, questions, workdir, progress)
        if "cold" in options.sections:
            progress("cold start")
            report.cold = cold_start(workdir, options.cold_first, options.cold_existing,
                                     options.cold_large)
    return report


def _e2e(
    options: BenchOptions, questions: list[Question], workdir: Path,
    progress: Callable[[str], None],
) -> list[E2EResult]:
    """Closed loop (capacity) and paced at the target rate (latency) with the 30/s cap lifted;
    then as shipped: closed loop (the cap) and paced under it (what users wait)."""
    plans: list[tuple[str, int, int, float | None, bool]] = [
        ("closed loop, limiter off", options.messages, options.e2e_runs, None, True)]
    if options.rate:
        plans.append((f"paced {options.rate:g}/s, limiter off", options.messages,
                      options.e2e_runs, options.rate, True))
    if options.shipped_messages:
        plans.append(("closed loop, as shipped (30/s cap)", options.shipped_messages, 1, None,
                      False))
        if options.shipped_rate:
            plans.append((f"paced {options.shipped_rate:g}/s, as shipped (30/s cap)",
                          options.shipped_messages, 1, options.shipped_rate, False))
    if options.profile_dir is not None and py_spy() is None:
        raise RuntimeError("profiling the bot needs py-spy: pip install py-spy")
    results = []
    for label, messages, runs, rate, unthrottled in plans:
        progress(f"end to end, {label}: {options.users} conversations, {messages} questions")
        profile = None
        if options.profile_dir is not None:
            options.profile_dir.mkdir(parents=True, exist_ok=True)
            slug = "".join(c if c.isalnum() else "-" for c in label)
            profile = options.profile_dir / f"bot-{slug}.txt"
        results.append(asyncio.run(run_e2e(
            f"govbot run, {label}", questions, options.users, messages, runs, workdir,
            rate=rate, unthrottled=unthrottled, profile=profile,
        )))
    return results
