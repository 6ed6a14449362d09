"""`govbot kb crosscheck`: editors see which entries lose their own questions, and to whom."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine.decide import DEFAULT_THRESHOLDS
from bot.engine.segment import Analyzer
from bot.kb.crosscheck import crosscheck
from bot.kb.importer import load_knowledge
from tests.conftest import SAMPLE, write_entry

# An entry whose questions are the e-Visa fee questions again, under another topic: the kind of
# copy an editor makes by accident, which takes the other entry's questions.
COPY = dict(
    SAMPLE[1], id="tax-visa-copy", topic="tax", category="services", related="[]",
    en_q=["how much is the cambodia e-visa fee", "e-visa fee how much", "visa price cambodia now",
          "cost of the tourist e-visa", "e-visa payment amount", "evisa fee cambodia"],
    km_q=["តម្លៃទិដ្ឋាការ e-Visa ប៉ុន្មាន", "ថ្លៃ evisa ប៉ុន្មាន", "វីសាប៉ុន្មានលុយដែរ",
          "បង់ប្រាក់ទិដ្ឋាការប៉ុន្មាន", "e-Visa តម្លៃ", "visa tlai ponman dollar"],
)


def _checks(knowledge):
    loaded = load_knowledge(knowledge)
    assert not loaded.errors
    return crosscheck(loaded.entries, Analyzer(loaded.synonyms), DEFAULT_THRESHOLDS)


def test_every_question_variant_is_asked_once(knowledge):
    checks = _checks(knowledge)
    variants = sum(len(f["en_q"]) + len(f["km_q"]) for f in SAMPLE)
    assert sum(c.asked for c in checks) == variants
    assert {(c.entry_id, c.lang) for c in checks} == {
        (f["id"], lang) for f in SAMPLE for lang in ("en", "km")}


def test_an_entry_copying_another_loses_its_questions_to_it(knowledge):
    write_entry(knowledge, **dict(COPY))
    checks = {(c.entry_id, c.lang): c for c in _checks(knowledge)}
    losers = [c for key, c in checks.items() if key[0] in ("evisa-fees", "tax-visa-copy")]
    assert any(c.wrong for c in losers)
    named = {i for c in losers for i, _ in c.lost_to}
    assert named <= {"evisa-fees", "tax-visa-copy", "evisa-apply"} and named
    shares = [c.right_pct for c in checks.values()]
    assert shares == sorted(shares)  # weakest first


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_prints_the_share_and_the_weak_entries(run, knowledge):
    write_entry(knowledge, **dict(COPY))
    result = run("kb", "crosscheck", "--below", "101")
    assert result.exit_code == 0
    assert "questions asked" in result.stdout and "tax-visa-copy" in result.stdout


def test_cli_json_lists_every_entry_and_language(run):
    rows = json.loads(run("kb", "crosscheck", "--json").stdout)
    assert {(r["id"], r["lang"]) for r in rows} == {
        (f["id"], lang) for f in SAMPLE for lang in ("en", "km")}
    assert all(0 <= r["right_pct"] <= 100 and r["asked"] >= r["right"] + r["wrong"]
               and r["sibling"] <= r["right"] for r in rows)


@pytest.fixture
def imported(settings, monkeypatch, knowledge, tmp_path):
    """A CLI runner over the small knowledge, imported, with one labelled head question."""
    labelled = tmp_path / "head.jsonl"
    labelled.write_text(json.dumps(
        {"q": "how much is the e-visa", "lang": "en", "topic": ["evisa"], "entry": "evisa-fees"})
        + "\n", encoding="utf-8")
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(knowledge))
    monkeypatch.setenv("GOVBOT_CONSOLE_QUESTIONS", str(labelled))
    runner = CliRunner()
    runner.invoke(main, ["kb", "import"], catch_exceptions=False)
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_a_proposed_change_lists_the_labelled_questions_it_would_answer_differently(
        imported, knowledge):
    """Before an import: `kb crosscheck PATH` names each head/dev question whose answer the
    change would move, and `kb import` prints the same as warnings (and still imports)."""
    unchanged = imported("kb", "crosscheck", str(knowledge))
    assert unchanged.stdout.startswith("0 of 1 labelled questions")
    path = knowledge / "visitors" / "evisa-fees.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in (("How much the e-Visa costs", "Parcel post"),
                     ("How much is the Cambodia e-visa?", "Where do I send a parcel?"),
                     ("evisa fee", "parcel post"), ("visa price cambodia", "post office"),
                     ("cost of tourist visa", "stamps")):
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    changed = imported("kb", "crosscheck", str(knowledge))
    assert changed.stdout.startswith("1 of 1 labelled questions"), changed.stdout
    assert "[worse] 'how much is the e-visa' (en): evisa-fees →" in changed.stdout
    result = imported("kb", "import")
    assert "warning: 1 of 1 labelled questions" in result.stderr
    assert "changed 1" in result.stdout


def test_a_proposed_change_to_scope_or_synonyms_alone_is_listed_too(imported, knowledge):
    """Marking a question not ours, or a synonym, moves answers as an entry edit does."""
    (knowledge / "scope.yaml").write_text(
        "not_ours_questions: [how much is the e-visa]\n", encoding="utf-8")
    changed = imported("kb", "crosscheck", str(knowledge))
    assert changed.stdout.startswith("1 of 1 labelled questions"), changed.stdout
