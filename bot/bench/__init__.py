"""`govbot bench`: govbot's speed, accuracy and memory measured side by side with what a team
would otherwise use, on the same data, in one run (docs/performance.md).

Figures, never pass/fail: `run_bench` returns a `Report`; `report.render_text` prints it. The
modules each do one job: `data` (the shared entries and questions), `baselines` (difflib,
rapidfuzz, BM25), `synthetic` (large knowledge bases), `engine` (per-question rows), `e2e`
(through the fake Bot API server), `coldstart`, `measure` (timing and memory), `report`.
"""

from bot.bench.report import Report, render_markdown, render_text
from bot.bench.run import SECTIONS, BenchOptions, run_bench

__all__ = ["SECTIONS", "BenchOptions", "Report", "render_markdown", "render_text", "run_bench"]
