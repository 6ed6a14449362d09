"""Median start-up of `govbot --help` and of `govbot ask` on existing stores, for an earlier
version of govbot and for the installed one, on the same machine in one run.

Why a script and not a bench section: the earlier version is another source tree (run with
PYTHONPATH pointing at it), which the bench cannot import. Make that tree with, e.g.:

    mkdir /tmp/base && git archive 27b6859 bot knowledge locales | tar -x -C /tmp/base

then: python scripts/startup_figures.py --base /tmp/base --runs 5 [--large STORE.db]
(without --large, a synthetic store of 100,000 variants is built first, about a minute).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bot.bench.coldstart import ask_once, synthetic_store


def main() -> None:
    """Print one line per version: --help, ask on the bundled store, ask on the large one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the earlier source tree")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large", type=Path, help="an existing large store (else built)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="startup-"))
    large = args.large or synthetic_store(work / "large.db", 100_000)
    bundled = work / "bundled.db"

    def median(command: list[str] | None = None, db: Path = bundled) -> float:
        return statistics.median(ask_once(db, work, args=command)[0] for _ in range(args.runs))

    for label, code in ((f"before ({args.base})", str(args.base)), ("after (installed)", None)):
        if code:
            os.environ["PYTHONPATH"] = code
        else:
            os.environ.pop("PYTHONPATH", None)
        ask_once(bundled, work)  # first use: the store and (after) the index file are built
        ask_once(large, work)
        floor, small, big = median(["--help"]), median(), median(db=large)
        print(f"{label}: --help {floor * 1000:.0f} ms; ask, bundled store {small * 1000:.0f} ms "
              f"({small / floor:.1f}× --help); ask, 100k store {big * 1000:.0f} ms "
              f"({big / floor:.1f}× --help)", flush=True)


if __name__ == "__main__":
    main()
