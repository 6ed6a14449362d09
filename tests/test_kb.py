"""Knowledge files: validation messages an editor can act on, and all-or-nothing imports."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from bot.kb.importer import import_knowledge, load_knowledge
from bot.model import EntryText, Question, entry_from_dict, entry_to_dict
from bot.store.knowledge import apply_changes, knowledge_version, read_entries
from tests.conftest import edit_file, line_of


def test_sample_knowledge_is_valid(knowledge):
    result = load_knowledge(knowledge)
    assert result.problems == []
    assert {e.id for e in result.entries} == {"evisa-apply", "evisa-fees", "id-card-apply"}


def test_bad_html_is_reported_with_file_line_and_field(knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    edit_file(path, "report <b>US$30</b>;", "report <b>US$30<br>;")
    [*problems] = load_knowledge(knowledge).errors
    assert {p.path for p in problems} == {path}
    assert {p.field for p in problems} == {"en.answer"}
    assert problems[0].line == line_of(path, "answer: |")
    assert any("<br> is not allowed" in p.message for p in problems)


def test_every_problem_is_listed_at_once(knowledge):
    path = knowledge / "services" / "id-card-apply.yaml"
    edit_file(path, "topic: id-card", "topic: id-cards")
    edit_file(path, "reviewed: 2026-11-20", "reviewed: 2999-01-01")
    edit_file(path, "https://www.evisa.gov.kh/termcondition.aspx", "http://evisa.gov.kh")
    fields = {p.field for p in load_knowledge(knowledge).errors}
    assert fields == {"topic", "reviewed", "sources.0"}


def test_a_question_shared_by_two_entries_is_an_error(knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    edit_file(path, "evisa fee", "Apply  E-Visa!")  # "apply evisa" once normalised
    [error] = load_knowledge(knowledge).errors
    assert error.path == path and error.field == "en.questions.1"
    assert "also a question of evisa-apply" in error.message


def test_missing_language_is_an_error_unless_draft(knowledge):
    path = knowledge / "services" / "id-card-apply.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("km:")], encoding="utf-8")
    assert [p.field for p in load_knowledge(knowledge).errors] == ["km"]
    path.write_text("status: draft\n" + text[: text.index("km:")], encoding="utf-8")
    assert load_knowledge(knowledge).errors == []


def test_unknown_related_id_and_typo_fields(knowledge):
    path = knowledge / "visitors" / "evisa-apply.yaml"
    edit_file(path, "related: [evisa-fees]", "related: [evisa-fee]")
    edit_file(path, "  title: Apply", "  titel: Apply")
    messages = sorted(p.message for p in load_knowledge(knowledge).errors)
    assert any('"evisa-fee" is not the id of another entry' in m for m in messages)
    assert any('unknown field "titel"' in m for m in messages)


def test_yaml_syntax_error_names_the_line(knowledge):
    path = knowledge / "visitors" / "evisa-apply.yaml"
    edit_file(path, "topic: evisa", "topic: [evisa")
    [problem] = [p for p in load_knowledge(knowledge).errors if p.path == path]
    assert problem.path == path and problem.line >= 2 and "YAML syntax" in problem.message


def test_unclosed_list_is_reported_on_its_own_line_with_a_plain_hint(knowledge):
    path = knowledge / "visitors" / "evisa-apply.yaml"
    edit_file(path, "related: [evisa-fees]", "related: [evisa-fees")
    [problem] = load_knowledge(knowledge).errors  # evisa-fees's related is not reported too
    assert (problem.path, problem.line) == (path, line_of(path, "related:"))
    assert problem.message == "YAML syntax: a list opened with [ on this line is not closed with ]"


def test_unclosed_quote_is_reported_where_the_quote_opens(knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    edit_file(path, "topic: evisa", 'topic: "evisa')
    [problem] = load_knowledge(knowledge).errors
    assert problem.line == line_of(path, "topic:")
    assert "a quote opened on this line is not closed" in problem.message


def test_a_colon_inside_a_value_gets_a_hint_to_quote_it(knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    edit_file(path, "category: visitors", "category: visitors: tourists")
    [problem] = load_knowledge(knowledge).errors
    assert problem.line == line_of(path, "category:")
    assert "put text that contains ': ' in quotes" in problem.message


def test_a_day_first_date_in_yaml_says_what_was_given(knowledge):
    path = knowledge / "visitors" / "evisa-fees.yaml"
    edit_file(path, "reviewed: 2026-11-20", "reviewed: 25/11/2026")
    [problem] = load_knowledge(knowledge).errors
    assert problem.message == "date must be YYYY-MM-DD (got 25/11/2026)"


def test_import_with_one_bad_file_changes_nothing(db, knowledge):
    assert import_knowledge(db, knowledge, "tester").summary is not None
    before = [entry_to_dict(e) for e in read_entries(db)]
    edit_file(knowledge / "visitors" / "evisa-apply.yaml", "Apply online", "Apply online & now")
    edit_file(knowledge / "visitors" / "evisa-fees.yaml", "2026-11-20", "2026-11-21")
    result = import_knowledge(db, knowledge, "tester")
    assert result.summary is None
    assert [str(p.path.name) for p in result.validated.errors] == ["evisa-apply.yaml"]
    assert [entry_to_dict(e) for e in read_entries(db)] == before


def test_import_records_revisions_and_reimport_is_a_no_op(db, knowledge):
    first = import_knowledge(db, knowledge, "sokha").summary
    assert sorted(first.added) == ["evisa-apply", "evisa-fees", "id-card-apply"]
    assert db["revisions"].count == 3
    assert {r["editor"] for r in db["revisions"].rows} == {"sokha"}
    version = knowledge_version(db)

    again = import_knowledge(db, knowledge, "sokha").summary
    assert not again.any_change and len(again.unchanged) == 3
    assert knowledge_version(db) == version and db["revisions"].count == 3

    edit_file(knowledge / "visitors" / "evisa-fees.yaml", "US$30", "US$35")
    (knowledge / "services" / "id-card-apply.yaml").unlink()
    edit_file(knowledge / "visitors" / "evisa-apply.yaml", "related: [evisa-fees]",
          "related: [evisa-fees]")
    third = import_knowledge(db, knowledge, "dara").summary
    assert third.changed == ["evisa-fees"] and third.removed == ["id-card-apply"]
    assert knowledge_version(db) == version + 1
    change = db.execute(
        "select before, after from revisions where entry_id='evisa-fees' and action='changed'"
    ).fetchone()
    assert "US$30" in json.loads(change[0])["en"]["answer"]
    assert "US$35" in json.loads(change[1])["en"]["answer"]


def test_editor_questions_survive_a_reimport(db, knowledge):
    import_knowledge(db, knowledge, "cli")
    [entry] = [e for e in read_entries(db) if e.id == "evisa-fees"]
    en = entry.texts["en"]
    edited = replace(entry, texts={**entry.texts, "en": EntryText(
        en.title, en.answer, (*en.questions, Question("how much to pay for visa", "editor")))})
    apply_changes(db, [edited if e.id == "evisa-fees" else e for e in read_entries(db)], None,
                  "editor:1")
    summary = import_knowledge(db, knowledge, "cli").summary
    assert summary.kept_editor_questions == {"evisa-fees": 1}
    [entry] = [e for e in read_entries(db) if e.id == "evisa-fees"]
    assert Question("how much to pay for visa", "editor") in entry.texts["en"].questions


def test_entry_dict_round_trip_keeps_khmer_and_dates(knowledge):
    for entry in load_knowledge(knowledge).entries:
        assert entry_from_dict(json.loads(json.dumps(entry_to_dict(entry)))) == entry
        assert entry.reviewed == date(2026, 11, 20)


def test_synonym_chains_are_reported(knowledge):
    path = knowledge / "synonyms.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "pasport: passport", "pasport: passport\n  passport: travel document"), encoding="utf-8")
    [error] = load_knowledge(knowledge).errors
    assert error.field == "en.pasport" and "is itself replaced" in error.message
