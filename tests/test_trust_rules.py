"""The validator's trust and Khmer style rules: each one warns at the line and field an editor
must fix, says how, and stays quiet on text that follows it. And what the reader sees of it:
an answer that rests only on press reports says so."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from click.testing import CliRunner

from bot.assistant import Assistant
from bot.cli import main
from bot.config import bundled_path
from bot.conversation import Conversation, press_note
from bot.kb.importer import import_knowledge, load_knowledge
from bot.kb.khmer_style import check_khmer, read_style
from bot.kb.stale import stale_entries
from bot.model import Entry, EntryText, Source
from bot.replies import NOTE, Sender
from bot.store.knowledge import apply_changes, read_entries
from bot.store.revisions import reviewers
from tests.conftest import edit_file, line_of

SOURCES_YAML = "official: [gov.kh]\npress: [phnompenhpost.com]\nbad: [blogspot.com]\n"
CLEAN_KM = "សូមលោកអ្នកដាក់ពាក្យតាម evisa.gov.kh ។"


@pytest.fixture
def ruled(knowledge: Path) -> Path:
    """The small knowledge folder with the bundled style and dated words, and domain lists."""
    for name in ("khmer-style.yaml", "dated-words.yaml"):
        shutil.copy(bundled_path("knowledge") / name, knowledge / name)
    (knowledge / "sources.yaml").write_text(SOURCES_YAML, encoding="utf-8")
    return knowledge


@pytest.fixture
def apply(ruled: Path) -> Path:
    """evisa-apply, made to follow every rule; tests break one rule at a time."""
    return ruled / "visitors" / "evisa-apply.yaml"


def _warnings(folder: Path, path: Path) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.rule) for p in load_knowledge(folder).problems
            if p.path == path]


def test_an_entry_that_follows_every_rule_has_no_warning(ruled, apply):
    assert _warnings(ruled, apply) == []


def test_an_entry_with_no_official_or_press_source_is_warned(ruled, apply):
    edit_file(apply, "https://www.evisa.gov.kh/termcondition.aspx", "https://example.org/visa")
    [problem] = [p for p in load_knowledge(ruled).problems if p.path == apply]
    assert (problem.path, problem.line, problem.field, problem.level) == (
        apply, line_of(apply, "sources:"), "sources", "warning")
    assert problem.message.startswith("no official or press source")


def test_a_press_source_is_enough_to_be_trusted(ruled, apply):
    edit_file(apply, "https://www.evisa.gov.kh/termcondition.aspx",
          "https://www.phnompenhpost.com/national/e-visa")
    assert _warnings(ruled, apply) == []


def test_official_url_must_be_a_home_page(ruled, apply):
    edit_file(apply, "official_url: https://www.evisa.gov.kh/",
          "official_url: https://www.mpwt.gov.kh/en/press/13959")
    assert _warnings(ruled, apply) == [
        (line_of(apply, "official_url"), "official_url", "official-url-not-home")]
    edit_file(apply, "https://www.mpwt.gov.kh/en/press/13959", "https://www.mpwt.gov.kh/en/")
    assert _warnings(ruled, apply) == []


@pytest.mark.parametrize("sentence", [
    "As of 2025, the fee is US$30.",
    "The next intake opens in March.",
    "Ranked 127th in the 2024 survey.",
    "Apply this year.",
])
def test_a_dated_fact_without_expires_or_deadline_is_warned_at_its_line(ruled, apply, sentence):
    edit_file(apply, "Apply online at", f"{sentence}\n    Apply online at")
    assert _warnings(ruled, apply) == [(line_of(apply, sentence), "en.answer", "dated-no-expiry")]
    edit_file(apply, "expires: null", "expires: 2027-06-30")
    assert _warnings(ruled, apply) == []


@pytest.mark.parametrize("sentence", [
    "Check the expiry date on your card.",  # a deadline word, but no date on the line
    "The ministry was founded in 2013.",  # a year, but nothing that goes out of date
    "Births must be registered within 30 days.",
])
def test_sensible_text_is_not_taken_for_a_dated_fact(ruled, apply, sentence):
    edit_file(apply, "Apply online at", f"{sentence}\n    Apply online at")
    assert _warnings(ruled, apply) == []


def _km_answer(apply: Path, text: str) -> int:
    """Make the Khmer answer two lines, the second one `text`; returns that line's number."""
    edit_file(apply, "    សូមដាក់ពាក្យតាម evisa.gov.kh ។", f"    {CLEAN_KM}\n    {text}")
    return line_of(apply, text)


@pytest.mark.parametrize(("text", "rule", "fix"), [
    ("សូមទូរស័ព្ទមកលេខខាងលើ។", "khmer-spelling", "write ទូរសព្ទ, not ទូរស័ព្ទ"),
    ("លោកអ្នកអាចប្តូរព័ត៌មានបាន។", "khmer-spelling", "write ប្ដូរ, not ប្តូរ"),
    ("សូមផ្ដល់ឲ្យមន្ត្រី។", "khmer-spelling", "write ឱ្យ, not ឲ្យ"),
    ("សូមចូលវេបសាយផ្លូវការ។", "khmer-word", "write គេហទំព័រ, not វេបសាយ"),
    ("សូមចូលគេហទំព័ផ្លូវការ។", "khmer-word", "write គេហទំព័រ, not គេហទំព័"),
    ("ក្រសួងប្រៃសណីយ៍និងទូរគមនាគមន៍", "khmer-official-name",
     "the official name is ក្រសួងប្រៃសណីយ៍ និងទូរគមនាគមន៍"),
    ("ជំនាញកោសល្យវិច្ច័យឌីជីថល", "khmer-misspelling", "write កោសល្យវិច័យ, not កោសល្យវិច្ច័យ"),
    ("តម្លៃ 30 ដុល្លារ។", "khmer-digits", "ASCII digits 30: write ៣០"),
    ("អ្នកអាចដាក់ពាក្យបាន។", "khmer-you", "address the reader as លោកអ្នក, not អ្នក"),
])
def test_each_khmer_style_rule_warns_at_the_line_with_the_fix(ruled, apply, text, rule, fix):
    line = _km_answer(apply, text)
    [problem] = [p for p in load_knowledge(ruled).problems if p.path == apply]
    assert (problem.line, problem.field, problem.rule, problem.level) == (
        line, "km.answer", rule, "warning")
    assert fix in problem.message


def test_a_khmer_title_is_checked_too(ruled, apply):
    edit_file(apply, "title: ការស្នើសុំ e-Visa", "title: ការស្នើសុំ e-Visa តាមវេបសាយ")
    assert _warnings(ruled, apply) == [(line_of(apply, "តាមវេបសាយ"), "km.title", "khmer-word")]


def test_licence_classes_are_written_in_khmer_letters(ruled, apply):
    line = _km_answer(apply, "ប័ណ្ណបើកបរប្រភេទ B និង C1")
    messages = [p.message for p in load_knowledge(ruled).problems if p.path == apply]
    assert [m.split(" (")[0] for m in messages] == [
        "licence class B: write ខ", "licence class C1: write គ១"]
    assert _warnings(ruled, apply) == [(line, "km.answer", "khmer-licence-class")] * 2


@pytest.mark.parametrize("text", [
    "សូមលោកអ្នកចូលទៅ https://www.evisa.gov.kh/2024/form ។",
    'សូមចុច <a href="https://x.gov.kh/a?id=12">ទីនេះ</a>។',
    "លេខកូដ <code>KH-2024-001</code> ។",
    "អ៊ីមែល info2024@mptc.gov.kh ។",
    "សូមទូរសព្ទមកលេខ 023 724 810 ឬ +855 12 345 678 ។",
    "បណ្ដាញ 5G និង Web3 ។",
    "អ្នកដំណើរ និងអ្នកស្នើសុំ ត្រូវមានលិខិតឆ្លងដែន។",
    "លោកអ្នក និង លោក​អ្នក អាចទូរសព្ទ និងប្ដូរ ឱ្យបាន។",
    "ប័ណ្ណបើកបរប្រភេទ ខ មានសុពលភាព ១០ ឆ្នាំ។",
])
def test_text_that_follows_the_style_is_not_warned(ruled, apply, text):
    _km_answer(apply, text)
    assert _warnings(ruled, apply) == []


def test_mistakes_in_the_style_file_are_errors_at_their_line(ruled):
    path = ruled / "khmer-style.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "colours: {}\n", encoding="utf-8")
    [error] = load_knowledge(ruled).errors
    assert (error.path, error.line, error.field) == (path, line_of(path, "colours"), "colours")


def test_the_bots_own_khmer_strings_follow_the_same_style():
    style, problems = read_style(
        yaml.safe_load((bundled_path("knowledge") / "khmer-style.yaml").read_text("utf-8")))
    assert problems == []
    with (bundled_path("locales") / "km" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po)
    found = [(message.lineno, issue.message) for message in catalog if message.id
             for text in (message.string if isinstance(message.string, tuple)
                          else (message.string,)) if text
             for issue in check_khmer(text, style)]
    assert found == []


def test_kb_validate_counts_warnings_by_rule(ruled, apply, tmp_path, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(tmp_path / "x.db"))
    _km_answer(apply, "តម្លៃ 30 ដុល្លារ 45 រៀល។")
    out = CliRunner().invoke(main, ["kb", "validate", str(ruled)]).stdout
    # 30 and 45 here, 2025 and 30 in evisa-fees, 15 in id-card-apply; "As of 2025" in evisa-fees
    assert "by rule: khmer-digits 5, dated-no-expiry 1\n" in out


# --- what the reader sees ---------------------------------------------------------------------


PRESS_ONLY = """\
sources:
  - url: https://www.phnompenhpost.com/national/e-visa-fees
    standing: press
    publisher: Phnom Penh Post
    date: 2024-12-28
"""


@pytest.fixture
def press_only(settings, ruled) -> Conversation:
    edit_file(ruled / "visitors" / "evisa-fees.yaml",
          "sources:\n  - https://www.evisa.gov.kh/termcondition.aspx\n", PRESS_ONLY)
    return Conversation.for_settings(Assistant.open(settings), settings)


def _note(conversation: Conversation, question: str, lang: str) -> str:
    outcome = conversation.text(Sender("tg:1", lang, "tg:1"), question)
    return next(b.text for r in outcome.replies for b in r.blocks if b.kind == NOTE)


def test_an_answer_resting_only_on_press_reports_says_so_in_english(press_only):
    note = _note(press_only, "How much is the Cambodia e-visa?", "en")
    assert note.splitlines()[0] == ("As reported by Phnom Penh Post, 28 December 2024; "
                                    "check https://www.evisa.gov.kh/")


def test_an_answer_resting_only_on_press_reports_says_so_in_khmer(press_only):
    note = _note(press_only, "តើទិដ្ឋាការ e-Visa តម្លៃប៉ុន្មាន?", "km")
    assert note.splitlines()[0] == ("យោងតាមការចុះផ្សាយរបស់ Phnom Penh Post ចុះថ្ងៃទី២៨ ធ្នូ "
                                    "២០២៤។ សូមលោកអ្នកពិនិត្យបញ្ជាក់នៅ https://www.evisa.gov.kh/")


def test_the_press_note_names_the_two_latest_reports():
    entry = Entry("x", "evisa", "visitors", {"en": EntryText("t", "a")}, sources=(
        Source("https://www.phnompenhpost.com/a", "press", "Phnom Penh Post", date(2017, 10, 2)),
        Source("https://www.khmertimeskh.com/b", "press", "Khmer Times", date(2024, 12, 29)),
        Source("https://cambodianess.com/c", "press"),
        Source("https://www.phnompenhpost.com/d", "press", "Phnom Penh Post", date(2024, 12, 28)),
    ))
    assert press_note(entry, "en") == (
        "As reported by Khmer Times, 29 December 2024 and Phnom Penh Post, 28 December 2024; "
        "no official page confirms it yet.")


def test_the_press_note_names_the_paper_not_the_editors_description():
    entry = Entry("x", "tax", "business", {"en": EntryText("t", "a")}, sources=(
        Source("https://www.phnompenhpost.com/a", "press",
               "Phnom Penh Post, reporting a GDT announcement of 17 April 2021", date(2021, 4, 17)),
        Source("https://www.vietnamplus.vn/b", "press",
               "VietnamPlus (Vietnam News Agency), reporting the Ministry of Tourism"),
    ))
    assert press_note(entry, "en") == (
        "As reported by Phnom Penh Post, 17 April 2021 and VietnamPlus; "
        "no official page confirms it yet.")


def test_an_official_source_comes_first_and_needs_no_press_note(settings, ruled):
    path = ruled / "visitors" / "evisa-fees.yaml"
    edit_file(path, "sources:\n  - https://www.evisa.gov.kh/termcondition.aspx\n",
          PRESS_ONLY + "  - https://www.evisa.gov.kh/termcondition.aspx\n")
    conversation = Conversation.for_settings(Assistant.open(settings), settings)
    note = _note(conversation, "How much is the Cambodia e-visa?", "en")
    assert note.splitlines()[0] == "Source: https://www.evisa.gov.kh/termcondition.aspx"
    assert "As reported" not in note


# --- kb stale ---------------------------------------------------------------------------------


def test_stale_lists_a_passed_deadline_and_who_checked_the_entry(db, knowledge):
    import_knowledge(db, knowledge, "sokha")
    entries = [replace(e, deadline=date(2026, 11, 30)) if e.id == "evisa-apply" else e
               for e in read_entries(db)]
    apply_changes(db, entries, None, "dara")
    [found] = stale_entries(read_entries(db), date(2026, 12, 7), reviewers=reviewers(db))
    assert (found.entry.id, found.reason, found.due) == (
        "evisa-apply", "deadline passed", date(2026, 11, 30))
    assert found.reviewed_by == "sokha"  # dara set the deadline, not the review date
