"""Timing, percentiles and memory: the measuring tools every section shares.

Memory is read from /proc (Linux) rather than tracemalloc, because tracemalloc slows the very
index builds it would measure and misses allocations made outside Python's allocator. Each
system is measured in a fresh child process so that one system's garbage, caches and peak do not
show up in another's figures.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_MB = 1024 * 1024


@dataclass(frozen=True)
class Latency:
    """Per-item latency over every repeated run, pooled: p50 and p99 in milliseconds."""

    p50_ms: float
    p99_ms: float
    samples: int
    runs: int

    @classmethod
    def of(cls, seconds: Sequence[float], runs: int) -> Latency:
        """Summarise raw samples (in seconds)."""
        if not seconds:
            return cls(float("nan"), float("nan"), 0, runs)
        values = np.asarray(seconds, dtype=np.float64) * 1000
        return cls(float(np.percentile(values, 50)), float(np.percentile(values, 99)),
                   len(values), runs)


def rss_mb() -> float:
    """Resident memory of this process now, in MB (NaN where /proc is missing)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE / _MB
    except OSError:
        return float("nan")


def reset_peak() -> bool:
    """Restart this process's peak-RSS counter (Linux `clear_refs` 5); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """Peak resident memory since start or the last `reset_peak`, in MB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Footprint:
    """What building something cost: seconds, memory kept afterwards, peak during the build."""

    build_s: float
    kept_mb: float
    peak_mb: float


def footprint(build: Callable[[], T]) -> tuple[T, Footprint]:
    """Build something and measure its time and memory (kept and peak, above the start)."""
    gc.collect()
    can_reset = reset_peak()
    before = rss_mb()
    start = time.perf_counter()
    built = build()
    elapsed = time.perf_counter() - start
    gc.collect()
    kept = rss_mb() - before
    peak = peak_mb() - before if can_reset else float("nan")
    return built, Footprint(elapsed, kept, max(peak, kept))


def isolated(fn: Callable[..., T], *args: object) -> T:
    """Run `fn(*args)` in a fresh child process and return its result.

    Fork where the platform has it (the child shares the parent's loaded modules, so start-up
    costs nothing); spawn elsewhere.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()
