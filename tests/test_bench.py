"""`govbot bench` runs end to end and prints a complete, sane table.

A benchmark is never a timed test: these check structure and sanity (every row present,
accuracies within 0–100, percentiles ordered), never speed.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("rank_bm25", reason="the bench extra: pip install -e '.[bench]'")

from bot.bench.baselines import BM25Baseline, DifflibMatcher, RapidfuzzWRatio, bm25_tokens
from bot.bench.data import bundled_kb
from bot.bench.engine import GovbotRanker
from bot.bench.synthetic import synthetic_kb, variant_pool
from bot.cli import main


@pytest.fixture(scope="module")
def kb():
    return bundled_kb()


def test_synthetic_knowledge_base_is_reproducible_and_exact(kb):
    pool = variant_pool(kb)
    first = synthetic_kb(kb, 250, seed=3, pool=pool)
    again = synthetic_kb(kb, 250, seed=3, pool=pool)
    other = synthetic_kb(kb, 250, seed=4, pool=pool)
    assert first == again
    assert first != other
    assert len(first.variants()) == 250
    topics = {e.topic for e in kb.entries}
    assert all(e.topic in topics for e in first.entries)


def test_every_system_answers_a_plain_question_with_an_entry_of_the_right_topic(kb):
    topic_of = kb.topic_of()
    for system in (GovbotRanker, DifflibMatcher, RapidfuzzWRatio, BM25Baseline):
        ranker = system(kb)
        assert len(ranker) > 1000
        assert topic_of[ranker.top("How do I apply for a Cambodian e-visa?")] == "evisa"


def test_bm25_tokens_split_khmer_runs_into_words():
    words = bm25_tokens("ធ្វើ e-Visa យ៉ាងម៉េច")
    assert "e" in words and "visa" in words
    assert len([w for w in words if "\u1780" <= w[0] <= "\u17ff"]) >= 2


def test_quick_bench_prints_every_row(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        main, ["bench", "--quick", "--sizes", "200,400", "--json", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    table = result.stdout
    for label in ("govbot", "difflib (ChatterBot-style)", "rapidfuzz extractOne WRatio",
                  "BM25 per row (rank-bm25 Okapi)", "BM25 pooled per entry", "synthetic 200",
                  "synthetic 400",
                  "closed loop, limiter off", "paced 40/s", "existing database", "first run"):
        assert label in table, label

    figures = json.loads(out.read_text())
    assert [r["system"] for r in figures["engine"]] == [
        "govbot", "difflib", "rapidfuzz", "bm25", "bm25-pooled"]
    assert [r["rows"] for r in figures["scaling"] if r["system"] == "govbot"] == [200, 400]
    for row in figures["engine"] + figures["scaling"]:
        for lang in ("en", "km"):
            assert 0 <= row["accuracy"][lang] <= 100
        assert 0 < row["latency"]["p50_ms"] <= row["latency"]["p99_ms"]
    for row in figures["e2e"]:
        assert row["timeouts"] == 0
        assert all(rate > 0 for rate in row["replies_per_s"])
        assert 0 < row["latency"]["p50_ms"] <= row["latency"]["p99_ms"]
        assert row["bot_peak_mb"] > 0
    assert [(r["command"], r["label"]) for r in figures["cold"]] == [
        ("govbot --help", "no database needed"),
        ("govbot ask", "existing database, index kept"),
        ("govbot ask", "existing database, index rebuilt (as before it was kept)"),
        ("govbot ask", "existing database, 1,000 variants, index kept"),
        ("govbot ask", "existing database, 1,000 variants, index rebuilt (as before it was kept)"),
        ("govbot ask", "first run: builds the store"),
    ]
    assert "× --help" in table
    for row in figures["cold"]:
        assert row["latency"]["p50_ms"] > 0 and all(m > 0 for m in row["peak_mb"])


def test_unknown_section_and_bad_sizes_are_usage_errors():
    result = CliRunner().invoke(main, ["bench", "--sections", "engine,speed"])
    assert result.exit_code == 2
    assert "speed" in result.output
    result = CliRunner().invoke(main, ["bench", "--sizes", "1000,lots"])
    assert result.exit_code == 2
    assert "--sizes" in result.output
