"""What needs an editor: unanswered questions (gaps) and content past its review or expiry."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from bot.assistant import Assistant
from bot.cli import main
from bot.kb.importer import import_knowledge
from bot.kb.stale import review_due, stale_entries
from bot.store.db import open_db
from bot.store.gaps import gaps
from bot.store.knowledge import apply_changes, read_entries
from bot.store.people import People


@pytest.fixture
def people(db) -> People:
    return People(db, "test-secret")


def _ask(people: People, user: str, text: str, status: str, lang: str = "en") -> None:
    people.log_query(people.hash(user), lang, text, status, None, 10.0)


def test_gaps_group_spellings_count_and_list_newest_first(db, people):
    _ask(people, "tg:1", "Thai visa price?", "fallback")
    _ask(people, "tg:2", "how do I pay my water bill", "fallback")
    _ask(people, "tg:3", "thai   VISA price", "fallback")
    _ask(people, "tg:4", "តើ វីសា ថៃ ប៉ុន្មាន?", "fallback", "km")
    _ask(people, "tg:5", "evisa fee", "answer")
    _ask(people, "tg:6", "visa", "suggest")
    found = gaps(db)
    assert [(g.text, g.count) for g in found] == [
        ("តើ វីសា ថៃ ប៉ុន្មាន?", 1),
        ("thai   VISA price", 2),  # the most recent wording of the group
        ("how do I pay my water bill", 1),
    ]
    assert found[1].normalized == "thai visa price" and found[1].fallback == 2
    assert found[0].langs == ("km",)
    by_count = gaps(db, order="count")
    assert by_count[0].normalized == "thai visa price"
    assert len(gaps(db, limit=2)) == 2


def test_none_of_these_is_a_gap_too(db, people):
    _ask(people, "tg:1", "visa", "suggest")
    people.mark_rejected(people.hash("tg:1"))
    _ask(people, "tg:2", "Visa!", "fallback")
    [gap] = gaps(db)
    assert (gap.normalized, gap.count, gap.fallback, gap.rejected) == ("visa", 2, 1, 1)


def test_gaps_since_a_date_and_blank_questions(db, people):
    _ask(people, "tg:1", "old question", "fallback")
    with db.atomic():
        db.execute("update queries set at = '2020-01-01T00:00:00+00:00' "
                   "where text = 'old question'")
    _ask(people, "tg:2", "new question", "fallback")
    _ask(people, "tg:3", "?!", "fallback")  # nothing left once normalised
    assert [g.text for g in gaps(db)] == ["new question", "old question"]
    assert [g.text for g in gaps(db, since="2021-01-01")] == ["new question"]
    with pytest.raises(ValueError):
        gaps(db, order="random")


def test_cli_gaps_text_and_json(settings, monkeypatch):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(settings.knowledge_dir))
    runner = CliRunner()
    empty = runner.invoke(main, ["kb", "gaps"], catch_exceptions=False)
    assert empty.exit_code == 0 and empty.stdout == "no unanswered questions\n"
    people = People(open_db(settings.db_path), "s")
    for user in ("tg:1", "tg:2", "tg:3"):
        _ask(people, user, "Thai visa price", "fallback")
    _ask(people, "tg:4", "ធ្វើលិខិតឆ្លងដែនថៃ", "fallback", "km")
    out = runner.invoke(main, ["kb", "gaps", "--by", "count"], catch_exceptions=False).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["asked", "last", "asked", "lang", "question"]
    assert lines[1].split()[0] == "3" and lines[1].endswith("Thai visa price")
    assert lines[2].endswith("ធ្វើលិខិតឆ្លងដែនថៃ")
    data = json.loads(runner.invoke(main, ["kb", "gaps", "--json", "--days", "7"],
                                    catch_exceptions=False).stdout)
    assert [(g["text"], g["count"]) for g in data] == [
        ("ធ្វើលិខិតឆ្លងដែនថៃ", 1), ("Thai visa price", 3)]
    assert set(data[0]) == {"text", "normalized", "count", "first_at", "last_at", "langs",
                            "fallback", "rejected"}


# --- stale content --------------------------------------------------------------------------

TODAY = date(2027, 3, 1)


def _dated(db, knowledge, **dates: dict) -> None:
    import_knowledge(db, knowledge, "cli")
    entries = [replace(e, **dates.get(e.id.replace("-", "_"), {})) for e in read_entries(db)]
    apply_changes(db, entries, None, "cli")


def test_stale_lists_overdue_reviews_and_expired_entries(db, knowledge):
    _dated(db, knowledge,
           evisa_fees={"reviewed": date(2026, 6, 1)},
           id_card_apply={"expires": date(2027, 2, 1)})
    found = stale_entries(read_entries(db), TODAY)
    assert [(s.entry.id, s.reason) for s in found] == [
        ("id-card-apply", "expired"), ("evisa-fees", "review due")]
    assert found[1].due == review_due(found[1].entry) == date(2026, 6, 1) + timedelta(days=183)
    assert found[0].as_dict()["expires"] == "2027-02-01"
    soon = stale_entries(read_entries(db), TODAY, within_days=120)
    assert ("evisa-apply", "review soon") in [(s.entry.id, s.reason) for s in soon]


def test_expired_entries_are_not_served(db, knowledge):
    _dated(db, knowledge, evisa_fees={"expires": date(2027, 2, 1)})
    before = Assistant(db, today=lambda: date(2027, 1, 1)).ask("How much is the Cambodia e-visa?")
    after = Assistant(db, today=lambda: TODAY).ask("How much is the Cambodia e-visa?")
    assert before.entry is not None and before.entry.id == "evisa-fees"
    assert after.entry is None or after.entry.id != "evisa-fees"
    assert all(s.entry.id != "evisa-fees" for s in after.suggestions)


def test_cli_stale(settings, monkeypatch, knowledge):
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(knowledge))
    runner = CliRunner()
    fresh = runner.invoke(main, ["kb", "stale"], catch_exceptions=False)
    assert fresh.exit_code == 0 and fresh.stdout.startswith("nothing is stale")
    path = knowledge / "visitors" / "evisa-fees.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "reviewed: 2026-11-20", "reviewed: 2020-01-01"), encoding="utf-8")
    runner.invoke(main, ["kb", "import"], catch_exceptions=False)
    out = runner.invoke(main, ["kb", "stale"], catch_exceptions=False).stdout.splitlines()
    assert out[0] == "1 entry needs an editor:"
    assert out[1].split()[:4] == ["review", "due", "2020-07-02", "visitors/evisa-fees.yaml"]
    data = json.loads(runner.invoke(main, ["kb", "stale", "--json"]).stdout)
    assert data[0]["id"] == "evisa-fees" and data[0]["reviewed"] == "2020-01-01"
