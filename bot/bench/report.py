"""The one table `govbot bench` prints: every section's figures, with the ratios between rows.

Kept apart from the measuring so the same results can be printed for a terminal, pasted into
docs/performance.md as Markdown, or saved as JSON for comparison with a later run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from bot.bench.coldstart import ColdStartResult
from bot.bench.e2e import E2EResult
from bot.bench.engine import EngineResult

TELEGRAM_RATE = 30.0  # messages a second Telegram lets one bot send (the yardstick)
COLUMNS = ("section", "system", "data", "acc en%", "acc km%", "p50 ms", "p99 ms", "ratio",
           "throughput", "memory MB", "runs", "note")


@dataclass
class Report:
    """All results of one run, and the rows derived from them."""

    engine: list[EngineResult] = field(default_factory=list)
    scaling: list[EngineResult] = field(default_factory=list)
    e2e: list[E2EResult] = field(default_factory=list)
    cold: list[ColdStartResult] = field(default_factory=list)
    machine: str = ""
    command: str = ""

    def rows(self) -> list[dict[str, str]]:
        """The table, one dict per row, keyed by COLUMNS."""
        return [*_engine_rows(self.engine, "engine"), *_engine_rows(self.scaling, "scaling"),
                *(_e2e_row(r) for r in self.e2e),
                *(_cold_row(r, self._help_ms()) for r in self.cold)]

    def _help_ms(self) -> float | None:
        """`govbot --help`'s median start: the floor every command pays, for the ratios."""
        found = [r.latency.p50_ms for r in self.cold if r.command == "govbot --help"]
        return found[0] if found else None

    def to_json(self) -> dict[str, object]:
        """Raw figures (not the rounded table), for keeping and comparing runs."""
        return {"machine": self.machine, "command": self.command,
                "engine": [asdict(r) for r in self.engine],
                "scaling": [asdict(r) for r in self.scaling],
                "e2e": [asdict(r) for r in self.e2e], "cold": [asdict(r) for r in self.cold]}


def ms(value: float) -> str:
    """Milliseconds with as many digits as matter."""
    if value is None or math.isnan(value):
        return "–"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def times(ratio: float) -> str:
    """A ratio as ×N."""
    if math.isnan(ratio) or math.isinf(ratio):
        return "–"
    return f"×{ratio:.1f}" if ratio < 10 else f"×{ratio:,.0f}"


def compare(p50_ratio: float, p99_ratio: float) -> str:
    """How a row's time relates to govbot's on the same data: p50 / p99 ratios."""
    if p50_ratio >= 1 and p99_ratio >= 1:
        return f"{times(p50_ratio)} / {times(p99_ratio)} slower than govbot"
    if p50_ratio < 1 and p99_ratio < 1:
        return f"{times(1 / p50_ratio)} / {times(1 / p99_ratio)} faster than govbot"
    return f"p50 {times(p50_ratio)}, p99 {times(p99_ratio)} of govbot's"


def _pct(accuracy: dict[str, float], lang: str) -> str:
    return f"{accuracy[lang]:.1f}" if lang in accuracy else "–"


def _mb(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.1f}"


def _engine_rows(results: Sequence[EngineResult], section: str) -> list[dict[str, str]]:
    rows = []
    govbot = {r.kb: r for r in results if r.system == "govbot"}
    previous: EngineResult | None = None
    for result in results:
        ref = govbot.get(result.kb)
        per_run = result.latency.samples // max(result.latency.runs, 1)
        if result.system == "govbot":
            vs = "reference"
            note = f"build {result.footprint.build_s:.2f} s, {result.entries:,} entries"
            if section == "scaling" and previous is not None:
                growth = result.latency.p50_ms / previous.latency.p50_ms
                note += (f"; p50 {times(growth)}, p99 "
                         f"{times(result.latency.p99_ms / previous.latency.p99_ms)} for rows "
                         f"{times(result.rows / previous.rows)}")
            previous = result
        else:
            vs = compare(result.latency.p50_ms / ref.latency.p50_ms,
                         result.latency.p99_ms / ref.latency.p99_ms) if ref else "–"
            note = f"build {result.footprint.build_s:.2f} s"
        rows.append({
            "section": section, "system": result.label,
            "data": f"{result.kb}: {result.rows:,} rows",
            "acc en%": _pct(result.accuracy, "en"), "acc km%": _pct(result.accuracy, "km"),
            "p50 ms": ms(result.latency.p50_ms), "p99 ms": ms(result.latency.p99_ms),
            "ratio": vs, "throughput": "–",
            "memory MB": f"{_mb(result.footprint.kept_mb)} (peak {_mb(result.footprint.peak_mb)})",
            "runs": f"{result.latency.runs}×{per_run}",
            "note": note,
        })
    return rows


def _e2e_row(result: E2EResult) -> dict[str, str]:
    rates = sorted(result.replies_per_s)
    median = rates[len(rates) // 2] if rates else float("nan")
    note = (f"bot CPU {result.bot_cpu_pct:.0f}% of a core, users+fake API CPU "
            f"{result.driver_cpu_pct:.0f}%; polling {result.ready_s:.2f} s after start "
            "(first-run store build included)")
    if result.timeouts:
        note += f"; {result.timeouts} replies never came"
    return {
        "section": "end to end", "system": result.label,
        "data": f"{result.users} conversations, {result.messages:,} msgs"
                + (f" at {result.rate:g}/s" if result.rate else ", closed loop"),
        "acc en%": "–", "acc km%": "–",
        "p50 ms": ms(result.latency.p50_ms), "p99 ms": ms(result.latency.p99_ms),
        "ratio": f"{times(median / TELEGRAM_RATE)} Telegram's 30/s" if rates else "–",
        "throughput": f"{median:,.0f}/s (worst {rates[0]:,.0f})" if rates else "–",
        "memory MB": f"{_mb(result.bot_peak_mb)} (bot peak RSS)",
        "runs": f"{result.latency.runs}×{result.messages:,}", "note": note,
    }


def _cold_row(result: ColdStartResult, floor_ms: float | None) -> dict[str, str]:
    ratio = f"{result.latency.p50_ms / floor_ms:.1f}× --help" if floor_ms else "–"
    return {
        "section": "cold start", "system": result.command, "data": result.label,
        "acc en%": "–", "acc km%": "–",
        "p50 ms": ms(result.latency.p50_ms), "p99 ms": ms(result.latency.p99_ms),
        "ratio": ratio, "throughput": "–",
        "memory MB": f"{_mb(max(result.peak_mb))} (peak RSS)" if result.peak_mb else "–",
        "runs": str(result.latency.runs), "note": "process start → answer on stdout",
    }


def render_text(rows: Sequence[dict[str, str]]) -> str:
    """A fixed-width table for the terminal."""
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) if rows else len(c) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip(),
             "  ".join("-" * widths[c] for c in COLUMNS)]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in COLUMNS).rstrip() for r in rows]
    return "\n".join(lines)


def render_markdown(rows: Sequence[dict[str, str]]) -> str:
    """The same table as Markdown, for docs/performance.md."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r[c].replace("|", "/") for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)
