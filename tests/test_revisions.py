"""The audit trail and undo: history with field differences, exact rollbacks, and content
updates that a running bot picks up without a failed or mixed answer."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.assistant import Assistant
from bot.cli import main
from bot.kb.importer import import_knowledge
from bot.model import entry_to_dict
from bot.store.db import open_db
from bot.store.knowledge import knowledge_version, read_entry
from bot.store.revisions import (
    RollbackError,
    conflicts,
    diff_entries,
    history,
    rollback,
    text_change,
)
from tests.conftest import SAMPLE, write_entry

KHMER_FEES = "គិតត្រឹមឆ្នាំ 2025 ប្រហែល US$30 ។\n"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def fees_file(knowledge: Path) -> Path:
    return knowledge / "visitors" / "evisa-fees.yaml"


def test_history_lists_who_changed_what_newest_first(db, knowledge, fees_file):
    import_knowledge(db, knowledge, "sokha")
    _edit(fees_file, "US$30 ។", "US$35 ។")
    _edit(fees_file, "reviewed: 2026-11-20", "reviewed: 2026-11-21")
    import_knowledge(db, knowledge, "dara")
    [latest, added] = history(db, "evisa-fees")
    assert (latest.editor, latest.action, added.editor, added.action) == (
        "dara", "changed", "sokha", "added")
    assert {c.field for c in latest.changes} == {"km.answer", "reviewed"}
    by_field = {c.field: c.summary for c in latest.changes}
    assert by_field["reviewed"] == "2026-11-20 → 2026-11-21"
    assert "US$3[0 → 5] ។" in by_field["km.answer"]
    assert added.changes[0].summary == 'new: "How much the e-Visa costs"'
    assert [r.entry_id for r in history(db)][:2] == ["evisa-fees", "id-card-apply"]
    assert len(history(db, limit=2)) == 2


def test_rollback_restores_the_previous_text_exactly(db, knowledge, fees_file):
    import_knowledge(db, knowledge, "sokha")
    original = read_entry(db, "evisa-fees")
    assert original.texts["km"].answer == KHMER_FEES
    _edit(fees_file, "គិតត្រឹមឆ្នាំ 2025 ប្រហែល US$30 ។", "ចាប់ពីឆ្នាំ 2026 តម្លៃ US$35 ។")
    _edit(fees_file, '"evisa fee"' if '"evisa fee"' in fees_file.read_text() else "- evisa fee",
          "- e-visa fee")
    import_knowledge(db, knowledge, "dara")
    assert read_entry(db, "evisa-fees").texts["km"].answer != KHMER_FEES
    version = knowledge_version(db)

    revision = rollback(db, "evisa-fees", "sokha")
    restored = read_entry(db, "evisa-fees")
    assert restored == original and entry_to_dict(restored) == entry_to_dict(original)
    stored = db.execute("select answer from entry_texts where entry_id = 'evisa-fees' and "
                        "lang = 'km'").fetchone()[0]
    assert stored.encode("utf-8") == KHMER_FEES.encode("utf-8")
    assert revision.action == "rollback" and revision.editor == "sokha"
    assert knowledge_version(db) == version + 1 == revision.version
    assert history(db, "evisa-fees")[0].id == revision.id


def test_a_rollback_can_itself_be_rolled_back(db, knowledge, fees_file):
    import_knowledge(db, knowledge, "cli")
    _edit(fees_file, "<b>US$30</b>", "<b>US$35</b>")
    import_knowledge(db, knowledge, "cli")
    changed = read_entry(db, "evisa-fees")
    rollback(db, "evisa-fees", "cli")
    assert "US$30" in read_entry(db, "evisa-fees").texts["en"].answer
    rollback(db, "evisa-fees", "cli")  # undo the undo
    assert read_entry(db, "evisa-fees") == changed


def test_rollback_to_a_revision_goes_back_several_changes(db, knowledge, fees_file):
    import_knowledge(db, knowledge, "cli")
    original = read_entry(db, "evisa-fees")
    for was, now in (("US$30", "US$31"), ("US$31", "US$32"), ("US$32", "US$33")):
        _edit(fees_file, f"<b>{was}</b>", f"<b>{now}</b>")
        assert import_knowledge(db, knowledge, "cli").summary.changed == ["evisa-fees"]
    first_change = history(db, "evisa-fees")[-2]
    assert first_change.action == "changed"
    rollback(db, "evisa-fees", "cli", to_revision=first_change.id)
    assert read_entry(db, "evisa-fees") == original


def test_rollback_of_a_removal_recreates_the_entry_and_of_an_addition_removes_it(
    db, knowledge
):
    import_knowledge(db, knowledge, "cli")
    card = read_entry(db, "id-card-apply")
    (knowledge / "services" / "id-card-apply.yaml").unlink()
    import_knowledge(db, knowledge, "cli")
    assert read_entry(db, "id-card-apply") is None
    revision = rollback(db, "id-card-apply", "cli")
    assert read_entry(db, "id-card-apply") == card
    assert revision.changes[0].summary == 'new: "Get a Khmer national ID card"'
    added = history(db, "id-card-apply")[-1]
    rollback(db, "id-card-apply", "cli", to_revision=added.id)
    assert read_entry(db, "id-card-apply") is None


def test_rollback_refuses_what_it_cannot_do_and_skips_no_ops(db, knowledge, fees_file):
    with pytest.raises(RollbackError, match="no recorded changes"):
        rollback(db, "evisa-fees", "cli")
    import_knowledge(db, knowledge, "cli")
    apply_rev = history(db, "evisa-apply")[0].id
    with pytest.raises(RollbackError, match='is a change of "evisa-apply"'):
        rollback(db, "evisa-fees", "cli", to_revision=apply_rev)
    with pytest.raises(RollbackError, match="there is no revision 999"):
        rollback(db, "evisa-fees", "cli", to_revision=999)
    _edit(fees_file, "<b>US$30</b>", "<b>US$35</b>")
    import_knowledge(db, knowledge, "cli")
    change = history(db, "evisa-fees")[0]
    rollback(db, "evisa-fees", "cli")
    count = db["revisions"].count
    assert rollback(db, "evisa-fees", "cli", to_revision=change.id) is None  # already so
    assert db["revisions"].count == count


def test_conflicts_of_a_restored_entry_are_reported(db, knowledge, fees_file):
    import_knowledge(db, knowledge, "cli")
    _edit(fees_file, "- evisa fee", "- fee for the evisa")
    import_knowledge(db, knowledge, "cli")
    _edit(knowledge / "visitors" / "evisa-apply.yaml", "- apply evisa", "- evisa fee")
    import_knowledge(db, knowledge, "cli")
    rollback(db, "evisa-fees", "cli")  # brings "evisa fee" back to evisa-fees
    assert conflicts(db, "evisa-fees") == [
        'en question "evisa fee" is also a question of evisa-apply']


def test_text_change_shows_each_change_with_a_little_context():
    old = "Fee: US$30 for a tourist visa. " + "x" * 80 + " Pay online by card."
    new = "Fee: US$35 for a tourist visa. " + "x" * 80 + " Pay online by Bakong."
    summary = text_change(old, new)
    assert summary.startswith("Fee: US$3[0 → 5] for a tourist")
    assert "by [card → Bakong]." in summary
    assert diff_entries(None, None) == []


@pytest.fixture
def run(settings, monkeypatch, knowledge):
    """`govbot …` on the test store and knowledge folder, as an editor types it."""
    monkeypatch.setenv("GOVBOT_DB", str(settings.db_path))
    monkeypatch.setenv("GOVBOT_KNOWLEDGE", str(knowledge))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_history_and_rollback(run, fees_file):
    run("kb", "import", "--editor", "sokha")
    _edit(fees_file, "<b>US$30</b>", "<b>US$35</b>")
    run("kb", "import", "--editor", "dara")
    out = run("kb", "history", "evisa-fees").stdout.splitlines()
    assert " dara  changed  evisa-fees  (version 2)" in out[0]
    assert out[1].startswith("    en.answer: ") and "US$3[0 → 5]" in out[1]
    rev = int(out[0].split()[0].lstrip("#"))

    undo = run("kb", "rollback", "evisa-fees", "--to", str(rev), "--editor", "sokha")
    assert undo.exit_code == 0
    assert undo.stdout.startswith("evisa-fees restored: revision ")
    assert "US$3[5 → 0]" in undo.stdout
    assert "hold another version of evisa-fees, and the next `govbot kb import` would bring " \
           "it back" in undo.stderr
    data = json.loads(run("kb", "history", "evisa-fees", "--json").stdout)
    assert [r["action"] for r in data] == ["rollback", "changed", "added"]
    assert data[0]["changes"][0]["field"] == "en.answer"

    assert run("kb", "rollback", "evisa-fees", "--to", "1").exit_code == 1
    missing = run("kb", "history", "no-such-entry")
    assert missing.exit_code == 1 and "no entry" in missing.stderr
    assert run("kb", "rollback").exit_code == 2


def test_rollback_after_a_csv_import_says_the_files_already_hold_the_restored_entry(
        run, knowledge, fees_file, tmp_path):
    run("kb", "import", "--editor", "sokha")
    sheet = tmp_path / "review.csv"
    run("kb", "export", "--format", "csv", "--out", str(sheet))
    sheet.write_bytes(sheet.read_bytes().replace(b"US$30", b"US$35"))
    assert run("kb", "import", str(sheet), "--editor", "dara").exit_code == 0

    undo = run("kb", "rollback", "evisa-fees", "--editor", "sokha")
    assert undo.exit_code == 0 and "US$3[5 → 0]" in undo.stdout
    assert undo.stderr == f"the knowledge files in {knowledge} already hold evisa-fees as " \
                          "restored\n"


# --- content changes while the bot answers -------------------------------------------------

QUESTIONS = [
    ("How much is the Cambodia e-visa?", "en"),   # answer, with a related entry
    ("ធ្វើ e-Visa យ៉ាងម៉េច", "km"),
    ("visa", "en"),                              # suggestions
    ("how do I get a national ID card?", None),
    ("weather in kampot", None),                  # fallback
]


def _variant(root: Path, mark: str) -> Path:
    """The sample knowledge with every title and answer carrying `mark`."""
    folder = root / mark
    folder.mkdir()
    for fields in SAMPLE:
        fields = dict(fields)
        for key in ("en_title", "km_title", "en_answer", "km_answer"):
            fields[key] = f"{fields[key]} {mark}"
        write_entry(folder, **fields)
    return folder


def _texts(answer) -> list[str]:
    texts = [s.entry.text(answer.lang).title for s in answer.suggestions]
    if answer.entry is not None:
        text = answer.entry.text(answer.lang)
        texts += [text.title, text.answer]
    return texts


def test_answers_come_from_one_version_while_20_imports_run(tmp_path, knowledge):
    old, new = _variant(tmp_path, "[OLD]"), _variant(tmp_path, "[NEW]")
    for folder in (old, new):
        shutil.copy(knowledge / "categories.yaml", folder)
        shutil.copy(knowledge / "synonyms.yaml", folder)
    db_path = tmp_path / "live.db"
    writer = open_db(db_path)  # the editor's `govbot kb import`: its own connection
    mark_of = {import_knowledge(writer, old, "cli").summary.version: "[OLD]"}
    assistant = Assistant(open_db(db_path))  # the running bot
    stop = threading.Event()
    failures: list[str] = []
    answers: list[tuple[int, list[str]]] = []

    def reader() -> None:
        while not stop.is_set():
            assistant.refresh()
            for text, lang in QUESTIONS:
                try:
                    answer = assistant.ask(text, lang)
                except Exception as exc:  # any failure is the finding
                    failures.append(f"{text!r}: {exc!r}")
                    continue
                answers.append((answer.version, _texts(answer)))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(20):
            folder, mark = (new, "[NEW]") if i % 2 == 0 else (old, "[OLD]")
            summary = import_knowledge(writer, folder, "cli").summary
            assert summary is not None and summary.changed
            mark_of[summary.version] = mark
            time.sleep(0.02)
    finally:
        time.sleep(0.2)
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert failures == []
    versions = {version for version, _ in answers}
    assert len(versions) >= 3, "the reader should have seen several versions"
    for version, texts in answers:
        mark = mark_of[version]
        other = "[NEW]" if mark == "[OLD]" else "[OLD]"
        assert all(t.endswith(mark) or t.rstrip().endswith(mark) for t in texts), (version, texts)
        assert not any(other in t for t in texts)
    assert assistant.snapshot.version == max(mark_of)
