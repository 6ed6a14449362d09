"""`govbot fit`: the recipe, the confidence model and the thresholds come from one reproducible
search, and never from a setting that would fail the head questions.

Run on the small test knowledge base, so that the search takes seconds.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.bench.data import bundled_kb
from bot.cli import main
from bot.engine.segment import Analyzer
from bot.evaluation import read_labelled
from bot.fitting import fit

DEV = [
    {"q": "how can I apply for the evisa online", "lang": "en", "topic": ["evisa"]},
    {"q": "price of a tourist evisa", "lang": "en", "topic": ["evisa"]},
    {"q": "where do I make my khmer identity card", "lang": "en", "topic": ["id-card"]},
    {"q": "ស្នើសុំ e-Visa តាមអនឡាញ", "lang": "km", "topic": ["evisa"]},
    {"q": "thai visa price", "lang": "en", "topic": []},
    {"q": "best pizza in phnom penh", "lang": "en", "topic": []},
]
HEAD = [
    {"q": "how do I apply for an e-visa", "lang": "en", "topic": ["evisa"],
     "entry": "evisa-apply"},
    {"q": "evisa fee", "lang": "en", "topic": ["evisa"], "entry": "evisa-fees"},
]


def _rows(rows: list[dict]) -> list:
    return read_labelled(json.dumps(row) for row in rows)


def _fit(knowledge, head):
    kb = bundled_kb(knowledge)
    return fit(kb.entries, Analyzer(kb.synonyms), kb.scope, _rows(DEV), head=_rows(head))


def test_the_same_data_gives_the_same_fit(knowledge):
    first = _fit(knowledge, HEAD)
    assert _fit(knowledge, HEAD) == first
    data = first.as_dict()
    assert set(data) >= {"recipe", "thresholds", "confidence", "fitted_on", "rule"}
    assert set(data["confidence"]["weights"]) == {
        "score", "lead", "pooled", "pooled_lead", "agrees", "novel", "words"}


def test_the_fit_answers_every_head_question_with_its_entry(knowledge):
    assert _fit(knowledge, HEAD).head_missed == 0


def test_a_head_question_no_setting_can_pass_is_reported_not_hidden(knowledge):
    impossible = [*HEAD, {"q": "evisa fee", "lang": "en", "topic": ["id-card"],
                          "entry": "id-card-apply"}]
    result = _fit(knowledge, impossible)
    assert result.head_missed == 1
    assert result.as_dict()["fitted_on"]["head_questions_missed"] == 1


def test_a_malformed_dev_file_is_named_before_any_fitting(tmp_path):
    bad = tmp_path / "mine.jsonl"
    bad.write_text('{"q": "evisa fee", "lang": "en", "topic": ["evisa"]}\nnot json\n',
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["fit", "--dev", str(bad), "--out", str(tmp_path / "f")])
    assert result.exit_code == 1
    assert f"{bad}: line 2:" in result.output
    assert not (tmp_path / "f").exists()
