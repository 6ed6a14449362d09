"""Exports that come back unchanged: YAML folders, CSV spreadsheets (Khmer included), and the
import options editors need around them (editor questions kept, reported, or removed)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.config import bundled_path
from bot.kb.csvfile import BOM, COLUMNS, entries_csv, load_csv, write_csv
from bot.kb.export import entry_yaml, folder_files, write_folder
from bot.kb.importer import import_knowledge, load_knowledge
from bot.model import Entry, EntryText, Question, Source, entry_from_dict, entry_to_dict
from bot.store.db import open_db
from bot.store.knowledge import apply_changes, knowledge_version, read_entries


def _dicts(db) -> list[dict]:
    return [entry_to_dict(e) for e in read_entries(db)]


def _attach(db, entry_id: str, lang: str, text: str) -> None:
    """What the Telegram /gaps "attach" button does: an editor question on an entry."""
    entries = read_entries(db)
    [entry] = [e for e in entries if e.id == entry_id]
    t = entry.texts[lang]
    edited = replace(entry, texts={**entry.texts, lang: EntryText(
        t.title, t.answer, (*t.questions, Question(text, "editor")))})
    apply_changes(db, [edited if e.id == entry_id else e for e in entries], None, "editor:42")


# --- YAML ---------------------------------------------------------------------------------


def test_yaml_export_then_import_is_a_no_op(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    version, revisions = knowledge_version(db), db["revisions"].count
    out = tmp_path / "export"
    done = write_folder(db, out)
    assert sorted(done.written) == [
        "categories.yaml", "services/id-card-apply.yaml", "synonyms.yaml",
        "visitors/evisa-apply.yaml", "visitors/evisa-fees.yaml"]
    summary = import_knowledge(db, out, "cli").summary
    assert summary is not None and not summary.any_change
    assert (knowledge_version(db), db["revisions"].count) == (version, revisions)


def test_yaml_export_fills_a_fresh_store_identically(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    write_folder(db, tmp_path / "export")
    fresh = open_db(tmp_path / "fresh.db")
    assert import_knowledge(fresh, tmp_path / "export", "cli").validated.problems == []
    assert _dicts(fresh) == _dicts(db)
    assert fresh["synonyms"].count == db["synonyms"].count
    assert list(fresh["categories"].rows) == list(db["categories"].rows)


def test_yaml_export_over_the_same_files_rewrites_nothing(db, knowledge):
    import_knowledge(db, knowledge, "cli")
    before = {p: p.read_bytes() for p in knowledge.rglob("*.yaml")}
    done = write_folder(db, knowledge, overwrite=True)
    assert done.written == [] and done.deleted == []
    assert {p: p.read_bytes() for p in knowledge.rglob("*.yaml")} == before


def test_yaml_export_refuses_to_mix_into_a_folder_unless_told(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    from bot.kb.export import ExportError

    with pytest.raises(ExportError, match="--overwrite"):
        write_folder(db, knowledge)
    stray = knowledge / "visitors" / "old-entry.yaml"
    stray.write_text("id: old-entry\n", encoding="utf-8")
    done = write_folder(db, knowledge, overwrite=True)
    assert done.deleted == ["visitors/old-entry.yaml"] and not stray.exists()


def test_bundled_knowledge_yaml_export_reimports_as_a_no_op(tmp_path):
    bundled = bundled_path("knowledge")
    db = open_db(tmp_path / "bundled.db")
    assert import_knowledge(db, bundled, "cli").summary is not None
    out = tmp_path / "export"
    write_folder(db, out)
    summary = import_knowledge(db, out, "cli").summary
    assert summary is not None and not summary.any_change
    assert len(summary.unchanged) == len(list(bundled.glob("*/*.yaml")))
    copy = tmp_path / "copy"
    shutil.copytree(bundled, copy)
    assert write_folder(db, copy, overwrite=True).written == []  # round-trips to the same files


def test_editor_questions_are_comments_in_yaml_and_survive_the_round_trip(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    _attach(db, "evisa-fees", "km", "តម្លៃ visa ប៉ុន្មាន")
    text = folder_files(read_entries(db), {}, {})["visitors/evisa-fees.yaml"]
    assert "    # - តម្លៃ visa ប៉ុន្មាន  # editor" in text
    assert "តម្លៃ visa ប៉ុន្មាន" not in yaml.safe_load(text)["km"]["questions"]
    write_folder(db, tmp_path / "out")
    summary = import_knowledge(db, tmp_path / "out", "cli").summary
    assert not summary.any_change and summary.kept_editor_questions == {"evisa-fees": 1}


def test_remove_editor_questions_drops_them_and_says_so(db, knowledge):
    import_knowledge(db, knowledge, "cli")
    _attach(db, "evisa-fees", "en", "how much to pay for visa")
    summary = import_knowledge(db, knowledge, "cli", keep_editor_questions=False).summary
    assert summary.changed == ["evisa-fees"]
    assert summary.dropped_editor_questions == {"evisa-fees": 1}
    assert all(q.origin == "curated" for e in read_entries(db) for t in e.texts.values()
               for q in t.questions)
    again = import_knowledge(db, knowledge, "cli", keep_editor_questions=False).summary
    assert not again.any_change and again.dropped_editor_questions == {}


TRICKY = [
    "plain", "yes", "null", "~", "2026-01-01", "12", "1.5", "- dash", "[bracket", "{brace",
    "key: value", "hash # here", "#start", "'single'", '"double"', "  leading", "trailing  ",
    "tab\there", "ទិដ្ឋាការ e-Visa?", "emoji 👍 ok", "&amp; <b>bold</b>", "@at", "`tick`",
    "%percent", "!bang", "*star", "|pipe", ">gt", "?q", "a\u200bb zero-width",
]
ANSWERS = [
    "one line, no newline", "ends with newline\n", "two\n\ntrailing\n\n", "  indented first\nx\n",
    "trailing spaces   \nline\n", "\nstarts with newline\n", "tab\tinside\n", "ខ្មែរ\n\nបន្ទាត់\n",
    "line with \\ backslash\n", "# not a comment\n- not a list\n", "crlf\r\nline\n", "",
]


def _entry(title: str, answer: str, questions: tuple[str, ...]) -> Entry:
    return Entry(
        id="x", topic="evisa", category="visitors",
        texts={"en": EntryText(title, answer, tuple(Question(q) for q in questions)),
               "km": EntryText("ចំណងជើង", answer, (Question(title),))},
        sources=SOURCES, reviewed=date(2026, 1, 2), only_when=("korea", "កូរ៉េ"),
        official_url="https://www.evisa.gov.kh/", related=("y",), audience=("visitor",),
    )


SOURCES = (
    Source("https://www.evisa.gov.kh/a?b=c#d", "official"),
    Source("https://www.phnompenhpost.com/national/e-visa", "press",
           'Phnom Penh Post: "national" #1', date(2024, 12, 28)),
    Source("https://example.org/x", "other", None, date(2023, 1, 5)),
    Source("https://example.org/y", "other", "ក្រសួងការបរទេស"),
)


@pytest.mark.parametrize("answer", ANSWERS)
def test_entry_yaml_keeps_every_text_exactly(answer):
    entry = _entry("Title: with colon", answer, tuple(TRICKY))
    assert entry_from_dict(yaml.safe_load(entry_yaml(entry))) == entry


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    answer=st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    question=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
)
def test_entry_yaml_round_trips_any_text(title, answer, question):
    entry = _entry(title, answer, (question,))
    assert entry_from_dict(yaml.safe_load(entry_yaml(entry))) == entry


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_a_bom_one_row_per_entry_and_both_languages(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    path = tmp_path / "kb.csv"
    assert write_csv(read_entries(db), path) == 3
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r["id"] for r in rows] == ["evisa-apply", "evisa-fees", "id-card-apply"]
    assert tuple(rows[0]) == COLUMNS
    fees = rows[1]
    assert fees["en_title"] == "How much the e-Visa costs" and fees["km_title"] == "តម្លៃ e-Visa"
    assert fees["km_questions"].split("\n")[1] == "វីសាប៉ុន្មានលុយ"
    assert fees["reviewed"] == "2026-11-20" and fees["related"] == "evisa-apply"


def test_csv_export_then_import_round_trips_khmer_byte_for_byte(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    _attach(db, "id-card-apply", "km", "ធ្វើកាតខ្មែរ​ថ្មី")  # with a zero-width space
    path = tmp_path / "kb.csv"
    write_csv(read_entries(db), path)
    version = knowledge_version(db)
    summary = import_knowledge(db, path, "cli").summary
    assert summary is not None and not summary.any_change and knowledge_version(db) == version

    fresh = open_db(tmp_path / "fresh.db")
    assert import_knowledge(fresh, path, "cli", rules_from=knowledge).validated.problems == []
    assert _dicts(fresh) == _dicts(db)
    raw = {r["entry_id"] + r["lang"]: r["answer"].encode("utf-8") for r in db["entry_texts"].rows}
    assert {r["entry_id"] + r["lang"]: r["answer"].encode("utf-8")
            for r in fresh["entry_texts"].rows} == raw
    [card] = [e for e in read_entries(fresh) if e.id == "id-card-apply"]
    assert card.texts["km"].questions[-1] == Question("ធ្វើកាតខ្មែរ​ថ្មី", "editor")


# Questions people typed, attached by an editor from /gaps: each would be the first thing in
# its cell, where a spreadsheet would run it as a formula.
FORMULAS = {
    ("evisa-apply", "en"): '=HYPERLINK("https://evil.example/x","Click for your visa")',
    ("evisa-apply", "km"): "+855 12 345 678 ទិដ្ឋាការ",
    ("evisa-fees", "en"): "-5 days before travel",
    ("evisa-fees", "km"): "@evisa តម្លៃ",
    ("id-card-apply", "en"): "'quoted' id card",
    ("id-card-apply", "km"): "\tអត្តសញ្ញាណប័ណ្ណ=1+1",
}


def _with_formulas(db, knowledge) -> None:
    import_knowledge(db, knowledge, "cli")
    for (entry_id, lang), text in FORMULAS.items():
        _attach(db, entry_id, lang, text)


def test_csv_cells_a_spreadsheet_would_run_as_formulas_show_as_text(db, knowledge):
    _with_formulas(db, knowledge)
    rows = {r["id"]: r for r in _csv_rows(db)}
    for (entry_id, lang), text in FORMULAS.items():
        assert rows[entry_id][f"{lang}_editor_questions"] == "'" + text
    for row in rows.values():
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_with_formula_like_questions_imports_back_exactly(db, knowledge, tmp_path):
    _with_formulas(db, knowledge)
    path = tmp_path / "kb.csv"
    write_csv(read_entries(db), path)
    fresh = open_db(tmp_path / "fresh.db")
    assert import_knowledge(fresh, path, "cli").validated.errors == []
    assert _dicts(fresh) == _dicts(db)
    entries = {e.id: e for e in read_entries(fresh)}
    for (entry_id, lang), text in FORMULAS.items():
        assert entries[entry_id].texts[lang].questions[-1] == Question(text, "editor")


def test_csv_saved_by_a_spreadsheet_still_imports_unchanged(db, knowledge, tmp_path):
    """Semicolons for commas, CRLF inside cells, dates with a time: what LibreOffice may write."""
    import_knowledge(db, knowledge, "cli")
    rows = list(csv.DictReader(io.StringIO(entries_csv(read_entries(db))[1:], newline="")))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=";")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v.replace("\n", "\r\n") for k, v in row.items()}
                        | {"reviewed": row["reviewed"].replace("-", "/") + " 00:00:00"})
    path = tmp_path / "saved.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))  # and no BOM
    summary = import_knowledge(db, path, "cli").summary
    assert summary is not None and not summary.any_change


def _csv_rows(db) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(entries_csv(read_entries(db))[1:], newline="")))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes((BOM + out.getvalue()).encode("utf-8"))


def _line_of_row(path: Path, entry_id: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if line.startswith(entry_id + ","):
            return number
    raise AssertionError(entry_id)


def test_a_bad_csv_changes_nothing_and_names_line_row_and_column(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    before = _dicts(db)
    rows = _csv_rows(db)
    rows[1]["km_answer"] = "តម្លៃ <b>US$30"
    rows[2]["reviewed"] = "20/11/2026"
    rows[0]["en_questions"] += "\nEvisa fee!"  # evisa-fees has "evisa fee"
    path = tmp_path / "kb.csv"
    _write_rows(path, rows)
    result = import_knowledge(db, path, "cli")
    assert result.summary is None and _dicts(db) == before
    errors = {(p.path, p.line, p.field) for p in result.validated.errors}
    fees, card = _line_of_row(path, "evisa-fees"), _line_of_row(path, "id-card-apply")
    assert fees > 3  # answers span lines: the line is the row's first line in the file
    assert errors == {
        (path, fees, "row 3, column km_answer"),
        (path, card, "row 4, column reviewed"),
        (path, fees, "row 3, column en_questions, question 2"),
    }
    message = next(str(p) for p in result.validated.errors if "en_questions" in p.field)
    assert message.startswith(f"{path}:{fees}: error: row 3, column en_questions, question 2:")
    assert "also a question of evisa-apply (row 2)" in message


def test_a_day_first_csv_date_is_named_with_the_value_given(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    rows = _csv_rows(db)
    rows[2]["reviewed"] = "25/11/2026"
    path = tmp_path / "kb.csv"
    _write_rows(path, rows)
    [problem] = import_knowledge(db, path, "cli").validated.errors
    assert problem.message == "date must be YYYY-MM-DD (got 25/11/2026)"


def test_csv_unknown_column_and_bad_category_are_reported(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    rows = _csv_rows(db)
    rows[0]["category"] = "Visitors"
    path = tmp_path / "kb.csv"
    _write_rows(path, rows)
    path.write_bytes(path.read_bytes().replace(b"en_title", b"en_titel", 1))
    fields = {p.field: p.message for p in load_csv(path, {"visitors": {}, "services": {}}).errors}
    assert 'unknown column "en_titel"' in fields["column 7"]
    assert fields["row 2, column category"].startswith('"Visitors" is not a category')


def test_kb_validate_reads_a_csv_too(db, knowledge, tmp_path):
    import_knowledge(db, knowledge, "cli")
    path = tmp_path / "kb.csv"
    write_csv(read_entries(db), path)
    result = load_knowledge(path, rules_from=knowledge)
    assert result.problems == [] and len(result.entries) == 3


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_csv_export_and_import_back(run, tmp_path):
    path = tmp_path / "review.csv"
    assert run("kb", "export", "--format", "csv", "--out", str(path)).exit_code == 0
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,")
    result = run("kb", "import", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("added 0, changed 0, removed 0, unchanged 3")
    stdout = run("kb", "export", "--format", "csv").stdout_bytes
    assert stdout == path.read_bytes()


def test_cli_yaml_export_needs_a_folder_and_reports_files(run, tmp_path, knowledge):
    assert run("kb", "export", "--format", "yaml").exit_code == 2
    out = run("kb", "export", "--format", "yaml", "--out", str(tmp_path / "k"))
    assert out.exit_code == 0 and "5 file(s) written" in out.stdout
    refused = run("kb", "export", "--format", "yaml", "--out", str(knowledge))
    assert refused.exit_code == 1 and "--overwrite" in refused.stderr
    again = run("kb", "export", "--format", "yaml", "--out", str(knowledge), "--overwrite")
    assert "0 file(s) written, 5 already up to date, 0 deleted" in again.stdout


def test_cli_import_summary_names_changed_fields_and_editor_questions(run, settings, knowledge):
    run("kb", "import")
    _attach(open_db(settings.db_path), "evisa-fees", "en", "how much to pay for visa")
    path = knowledge / "visitors" / "evisa-fees.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("<b>US$30", "<b>US$35"),
                    encoding="utf-8")
    out = run("kb", "import", "--editor", "dara").stdout
    assert out.splitlines()[0] == ("added 0, changed 1, removed 0, unchanged 2; "
                                   "knowledge version 3")
    assert "  changed: evisa-fees (en.answer)" in out
    assert "  kept 1 editor question(s) on evisa-fees" in out
    assert "--remove-editor-questions drops them" in out
    dropped = run("kb", "import", "--remove-editor-questions").stdout
    assert "  removed 1 editor question(s) from evisa-fees" in dropped


def test_cli_json_export_is_unchanged(run):
    data = json.loads(run("kb", "export", "--format", "json").stdout)
    assert [e["id"] for e in data] == ["evisa-apply", "evisa-fees", "id-card-apply"]
