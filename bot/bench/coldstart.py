"""Cold start: from `govbot ask` process start to its answer on stdout, and its peak RSS.

Run as a real subprocess (interpreter start, imports, opening or building the store, building
the index, answering), because that is what an operator restarting the bot waits for.

Peak RSS comes from the kernel's accounting of the child (`ru_maxrss` from `os.wait4`), with one
precaution: Linux carries a process's peak across exec, so a child forked from a large process
starts with that process's peak. The benchmark process is large by then, so each `govbot ask`
is started by a tiny launcher (plain `python -c`, stdlib only) that times it and reports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.bench.measure import Latency

QUESTION = "how do I apply for an e-visa"

# Runs in a fresh, small interpreter: start the command, time its first byte on stdout,
# drain it, reap it, print {"seconds", "peak_mb", "code"}.
_LAUNCHER = r"""
import json, os, subprocess, sys, time
command, errors = json.loads(sys.argv[1]), sys.argv[2]
with open(errors, "wb") as err:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err)
    first = proc.stdout.read(1)
    seconds = time.perf_counter() - start
    proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024,
                  "code": os.waitstatus_to_exitcode(status), "answered": bool(first)}))
"""


@dataclass(frozen=True)
class ColdStartResult:
    """Several starts of one kind."""

    label: str
    latency: Latency  # process start → first byte of the answer
    peak_mb: list[float]


def govbot_command() -> list[str]:
    """The installed `govbot` script next to this interpreter (else on PATH, else via -c)."""
    script = Path(sys.executable).with_name("govbot")
    if script.exists():
        return [str(script)]
    found = shutil.which("govbot")
    return [found] if found else [sys.executable, "-c", "from bot.cli import main; main()"]


def ask_once(db_path: Path, workdir: Path, question: str = QUESTION) -> tuple[float, float]:
    """One `govbot ask`: seconds to the first byte of the answer, and its peak RSS in MB."""
    env = {**os.environ, "GOVBOT_DB": str(db_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    with tempfile.NamedTemporaryFile(dir=workdir, suffix=".err") as errors:
        done = subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, json.dumps([*govbot_command(), "ask",
                                                               question]), errors.name],
            env=env, cwd=workdir, capture_output=True, text=True, check=False,
        )
        try:
            figures = json.loads(done.stdout)
        except ValueError:
            figures = {"code": done.returncode, "answered": False}
        if figures["code"] != 0 or not figures["answered"]:
            message = Path(errors.name).read_text(errors="replace")[-1000:] or done.stderr
            raise RuntimeError(f"govbot ask failed ({figures['code']}): {message}")
    return figures["seconds"], figures["peak_mb"]


def cold_start(workdir: Path, first_runs: int, existing_runs: int) -> list[ColdStartResult]:
    """First-run builds (a fresh store each time), then starts on the store the last one built."""
    workdir.mkdir(parents=True, exist_ok=True)
    fresh: list[tuple[float, float]] = []
    db_path = workdir / "cold-0.db"
    for i in range(max(first_runs, 1)):
        db_path = workdir / f"cold-{i}.db"
        fresh.append(ask_once(db_path, workdir))
    existing = [ask_once(db_path, workdir) for _ in range(existing_runs)]
    results = []
    for label, samples in (("existing database", existing),
                           ("first run: builds the store", fresh)):
        if samples:
            results.append(ColdStartResult(
                label, Latency.of([s for s, _ in samples], len(samples)), [m for _, m in samples]
            ))
    return results
