"""Cold start: from `govbot ask` process start to its answer on stdout, and its peak RSS.

Next to it, `govbot --help` (the interpreter and imports, nothing else: the floor any command
pays), and `govbot ask` on an existing store with the kept index and with the index file
removed before each run (what every start cost before the index was kept,
bot/store/index_cache.py), on the bundled knowledge and on a synthetic store of a large size.

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

from bot.bench.data import bundled_kb
from bot.bench.measure import Latency
from bot.bench.synthetic import DEFAULT_SEED, synthetic_kb
from bot.config import bundled_path
from bot.kb.files import read_folder
from bot.store.db import open_db
from bot.store.index_cache import index_path
from bot.store.knowledge import apply_changes

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
    command: str = "govbot ask"


def govbot_command() -> list[str]:
    """The installed `govbot` script next to this interpreter (else on PATH, else via -c)."""
    script = Path(sys.executable).with_name("govbot")
    if script.exists():
        return [str(script)]
    found = shutil.which("govbot")
    return [found] if found else [sys.executable, "-c", "from bot.cli import main; main()"]


def ask_once(
    db_path: Path, workdir: Path, question: str = QUESTION, *, keep_index: bool = True,
    args: list[str] | None = None,
) -> tuple[float, float]:
    """One `govbot ask` (or `govbot <args>`): seconds to the first byte of its output, and its
    peak RSS in MB. `keep_index=False` removes the kept index first, as before it was kept."""
    env = {**os.environ, "GOVBOT_DB": str(db_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if not keep_index:
        index_path(db_path).unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=workdir, suffix=".err") as errors:
        done = subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER,
             json.dumps([*govbot_command(), *(args or ["ask", question])]), errors.name],
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


def synthetic_store(db_path: Path, size: int, seed: int = DEFAULT_SEED) -> Path:
    """A store holding a synthetic knowledge base of `size` rows (bot.bench.synthetic)."""
    base = bundled_kb()
    kb = synthetic_kb(base, size, seed=seed)
    db = open_db(db_path)
    with db.atomic():
        apply_changes(db, kb.entries, kb.synonyms, "bench",
                      categories=read_folder(bundled_path("knowledge")).categories.data)
    db.conn.close()
    return db_path


def _result(label: str, samples: list[tuple[float, float]], command: str = "govbot ask"
            ) -> ColdStartResult:
    return ColdStartResult(label, Latency.of([s for s, _ in samples], len(samples)),
                           [m for _, m in samples], command)


def cold_start(
    workdir: Path, first_runs: int, existing_runs: int, large: int = 0
) -> list[ColdStartResult]:
    """`govbot --help`; first-run builds (a fresh store each time); starts on the store the last
    one built, with and without the kept index; the same on a synthetic store of `large` rows
    (0: none)."""
    workdir.mkdir(parents=True, exist_ok=True)
    runs = max(existing_runs, 1)
    help_runs = [ask_once(workdir / "help.db", workdir, args=["--help"]) for _ in range(runs)]
    fresh: list[tuple[float, float]] = []
    db_path = workdir / "cold-0.db"
    for i in range(max(first_runs, 1)):
        db_path = workdir / f"cold-{i}.db"
        fresh.append(ask_once(db_path, workdir))
    results = [_result("no database needed", help_runs, "govbot --help")]
    stores = [("existing database", db_path)]
    if large:
        stores.append((f"existing database, {large:,} variants",
                       synthetic_store(workdir / f"large-{large}.db", large)))
    for label, path in stores:
        ask_once(path, workdir)  # builds the index (and for the synthetic store, its first use)
        kept = [ask_once(path, workdir) for _ in range(existing_runs)]
        rebuilt = [ask_once(path, workdir, keep_index=False) for _ in range(existing_runs)]
        if kept:
            results.append(_result(f"{label}, index kept", kept))
            results.append(_result(f"{label}, index rebuilt (as before it was kept)", rebuilt))
    results.append(_result("first run: builds the store", fresh))
    return results
