"""Sources with a standing: how an editor writes them, what the validator says, and that every
export (YAML, CSV, JSON, revisions, the store) gives them back exactly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import bundled_path
from bot.kb.csvfile import entries_csv, load_csv, write_csv
from bot.kb.export import entries_json, write_folder
from bot.kb.files import read_rules
from bot.kb.importer import import_knowledge, load_knowledge
from bot.kb.sources import read_domain_lists
from bot.model import Source, best_sources
from bot.store.db import open_db
from bot.store.knowledge import read_entries
from bot.store.revisions import history
from tests.conftest import edit_file, line_of

SOURCES_YAML = """\
official:
  - gov.kh
press:
  - phnompenhpost.com
other:
  - einpresswire.com
bad:
  - blogspot.com
  - 125visa.com
"""

MAPPING_SOURCES = """\
sources:
  - url: https://www.evisa.gov.kh/termcondition.aspx
    standing: official
    publisher: Ministry of Foreign Affairs
    date: 2024-12-28
  - url: https://www.phnompenhpost.com/national/e-visa-fees
  - https://m.phnompenhpost.com/national/plain
"""


@pytest.fixture
def lists(knowledge: Path) -> Path:
    """The small knowledge folder with domain lists and one entry citing three sources."""
    (knowledge / "sources.yaml").write_text(SOURCES_YAML, encoding="utf-8")
    edit_file(knowledge / "visitors" / "evisa-fees.yaml",
          "sources:\n  - https://www.evisa.gov.kh/termcondition.aspx\n", MAPPING_SOURCES)
    return knowledge


def _fees(entries) -> object:
    return next(e for e in entries if e.id == "evisa-fees")


def test_a_source_is_written_as_a_mapping_or_a_plain_url(lists):
    result = load_knowledge(lists)
    assert result.problems == []
    assert _fees(result.entries).sources == (
        Source("https://www.evisa.gov.kh/termcondition.aspx", "official",
               "Ministry of Foreign Affairs", date(2024, 12, 28)),
        Source("https://www.phnompenhpost.com/national/e-visa-fees", "press"),
        Source("https://m.phnompenhpost.com/national/plain", "press"),  # a subdomain
    )


def test_a_domain_on_no_list_is_other(knowledge):
    (knowledge / "sources.yaml").write_text(SOURCES_YAML, encoding="utf-8")
    edit_file(knowledge / "visitors" / "evisa-fees.yaml",
          "https://www.evisa.gov.kh/termcondition.aspx", "https://example.org/visa")
    [source] = _fees(load_knowledge(knowledge).entries).sources
    assert source.standing == "other"


def test_the_entrys_own_standing_wins_over_the_lists(lists):
    path = lists / "visitors" / "evisa-fees.yaml"
    edit_file(path, "  - url: https://www.phnompenhpost.com/national/e-visa-fees\n",
          "  - url: https://www.phnompenhpost.com/national/e-visa-fees\n    standing: other\n")
    assert _fees(load_knowledge(lists).entries).sources[1].standing == "other"


def test_the_most_specific_domain_decides():
    lists, problems = read_domain_lists(_source_file("bad: [blogspot.com]\n"
                                                     "official: [ministry.blogspot.com]\n"))
    assert problems == []
    assert lists.bad_domain("https://ministry.blogspot.com/x") is None
    assert lists.standing_of("https://ministry.blogspot.com/x") == "official"
    assert lists.bad_domain("https://spam.blogspot.com/x") == "blogspot.com"
    assert lists.standing_of("https://notblogspot.com/x") == "other"


def _source_file(text: str):
    import yaml

    from bot.kb.files import SourceFile
    return SourceFile(Path("sources.yaml"), yaml.safe_load(text))


def test_a_bad_domain_is_an_error_at_its_line_even_when_called_official(lists):
    path = lists / "visitors" / "evisa-fees.yaml"
    edit_file(path, "  - https://m.phnompenhpost.com/national/plain\n",
          "  - url: https://khm.125visa.com/wenti/1.html\n    standing: official\n"
          "  - https://staygate.blogspot.com/2023/12/e-arrival.html\n")
    errors = load_knowledge(lists).errors
    assert [(p.path, p.line, p.field) for p in errors] == [
        (path, line_of(path, "125visa"), "sources.2.url"),
        (path, line_of(path, "staygate"), "sources.3"),
    ]
    assert "125visa.com, a site a government answer must never send a citizen to" in (
        errors[0].message)


def test_a_source_mapping_with_mistakes_is_reported_field_by_field(lists):
    path = lists / "visitors" / "evisa-fees.yaml"
    edit_file(path, "    standing: official\n    publisher: Ministry of Foreign Affairs\n"
          "    date: 2024-12-28\n",
          "    standing: governmental\n    publisher: ''\n    date: 28/12/2024\n    pubisher: x\n")
    fields = {p.field: p.line for p in load_knowledge(lists).errors if p.path == path}
    assert fields == {
        "sources.0.standing": line_of(path, "governmental"),
        "sources.0.publisher": line_of(path, "publisher: ''"),
        "sources.0.date": line_of(path, "28/12/2024"),
        "sources.0.pubisher": line_of(path, "pubisher"),
    }


def test_mistakes_in_the_domain_lists_are_reported_at_their_line(lists):
    path = lists / "sources.yaml"
    path.write_text(SOURCES_YAML + "  - https://www.visa.example/\n  - gov.kh\npres: []\n",
                    encoding="utf-8")
    problems = {(p.path, p.line, p.field) for p in load_knowledge(lists).errors}
    assert problems == {(path, 10, "bad.2"), (path, 11, "bad.3"), (path, 12, "pres")}


def test_the_bundled_domain_lists_are_valid():
    lists, problems = read_domain_lists(read_rules(bundled_path("knowledge")).domains)
    assert problems == []
    assert lists.standing_of("https://www.evisa.gov.kh/") == "official"
    assert lists.standing_of("https://www.einpresswire.com/article/1") == "other"
    assert lists.bad_domain("https://jyjlsz.com/content/1.html") == "jyjlsz.com"
    assert lists.bad_domain("https://staygate.blogspot.com/2023/12/x.html") == "blogspot.com"


def test_only_when_must_be_a_list_of_words(lists):
    path = lists / "visitors" / "evisa-fees.yaml"
    edit_file(path, "reviewed:", "only_when: [korea, '']\nreviewed:")
    [error] = load_knowledge(lists).errors
    assert (error.field, error.line) == ("only_when", line_of(path, "only_when"))
    edit_file(path, "only_when: [korea, '']", "only_when: [korea, សេអ៊ូល]")
    assert _fees(load_knowledge(lists).entries).only_when == ("korea", "សេអ៊ូល")


# --- the same sources back from every export ------------------------------------------------


@pytest.fixture
def stored(db, lists):
    edit_file(lists / "visitors" / "evisa-fees.yaml", "reviewed:", "only_when: [korea, កូរ៉េ]\n"
          "reviewed:")
    assert import_knowledge(db, lists, "sokha").summary is not None
    return db


def test_the_store_keeps_each_sources_standing_publisher_and_date(stored, lists):
    assert _fees(read_entries(stored)) == _fees(load_knowledge(lists).entries)


def test_yaml_export_writes_the_mapping_form_and_imports_back_unchanged(stored, tmp_path):
    out = tmp_path / "out"
    write_folder(stored, out)
    text = (out / "visitors" / "evisa-fees.yaml").read_text(encoding="utf-8")
    assert ("  - url: https://m.phnompenhpost.com/national/plain\n    standing: press\n"
            in text)
    assert "only_when: [korea, កូរ៉េ]\n" in text
    summary = import_knowledge(stored, out, "cli").summary
    assert summary is not None and not summary.any_change


def test_csv_has_one_source_per_line_and_imports_back_unchanged(stored, tmp_path, lists):
    path = tmp_path / "kb.csv"
    write_csv(read_entries(stored), path)
    assert ("https://www.evisa.gov.kh/termcondition.aspx | official | "
            "Ministry of Foreign Affairs | 2024-12-28\n"
            "https://www.phnompenhpost.com/national/e-visa-fees | press") in path.read_text(
                encoding="utf-8-sig")
    summary = import_knowledge(stored, path, "cli", rules_from=lists).summary
    assert summary is not None and not summary.any_change


def test_a_csv_source_given_as_a_bare_url_takes_its_standing_from_the_lists(stored, lists,
                                                                           tmp_path):
    path = tmp_path / "kb.csv"
    text = entries_csv(read_entries(stored)).replace(
        "https://www.phnompenhpost.com/national/e-visa-fees | press",
        "https://www.phnompenhpost.com/national/e-visa-fees")
    path.write_text(text, encoding="utf-8")
    result = load_csv(path, None, read_rules(lists))
    assert _fees(result.entries).sources[1].standing == "press"


def test_a_csv_source_on_a_bad_domain_names_row_column_and_item(stored, lists, tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text(entries_csv(read_entries(stored)).replace(
        "https://m.phnompenhpost.com/national/plain | press",
        "https://x.blogspot.com/a | press"), encoding="utf-8")
    [error] = load_csv(path, None, read_rules(lists)).errors
    assert error.field == "row 3, column sources, item 3 (url)"


def test_json_export_and_revisions_carry_the_sources(stored):
    [fees] = [e for e in json.loads(entries_json(read_entries(stored))) if e["id"] == "evisa-fees"]
    assert fees["sources"][0] == {
        "url": "https://www.evisa.gov.kh/termcondition.aspx", "standing": "official",
        "publisher": "Ministry of Foreign Affairs", "date": "2024-12-28"}
    assert fees["only_when"] == ["korea", "កូរ៉េ"]
    [revision] = history(stored, "evisa-fees")
    assert revision.editor == "sokha" and revision.after == _fees(read_entries(stored))


def test_a_changed_standing_shows_in_the_history(stored, lists):
    edit_file(lists / "visitors" / "evisa-fees.yaml", "  - https://m.phnompenhpost.com/national/plain",
          "  - url: https://m.phnompenhpost.com/national/plain\n    standing: other")
    import_knowledge(stored, lists, "dara")
    [change] = history(stored, "evisa-fees")[0].changes
    assert change.field == "sources"
    assert change.summary == ('+ "https://m.phnompenhpost.com/national/plain" (other); '
                              '- "https://m.phnompenhpost.com/national/plain" (press)')


def test_a_store_from_before_standings_reads_its_plain_urls(tmp_path):
    db = open_db(tmp_path / "old.db")
    db["entries"].insert({"id": "x", "topic": "evisa", "category": "visitors",
                          "sources": '["https://www.evisa.gov.kh/"]', "audience": "[]",
                          "related": "[]"})
    [entry] = read_entries(db)
    assert entry.sources == (Source("https://www.evisa.gov.kh/", "other"),)
    assert entry.only_when == ()


def test_ask_json_keeps_sources_as_a_list_of_urls(settings, lists, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(lists))
    out = CliRunner().invoke(main, ["ask", "how much is the e-visa fee", "--json"]).stdout
    assert json.loads(out)["entry"]["sources"] == [
        "https://www.evisa.gov.kh/termcondition.aspx",
        "https://www.phnompenhpost.com/national/e-visa-fees",
        "https://m.phnompenhpost.com/national/plain",
    ]


def test_the_best_source_comes_first():
    press, official = Source("https://p.example/", "press"), Source("https://o.example/",
                                                                     "official")
    other = Source("https://x.example/", "other")
    assert best_sources((other, press, official)) == (official, press, other)
