"""What an attacker with a copy of the database files finds: after /forget and after the
retention purge, nothing of the person (their Telegram id, names, username, questions, what
they wrote to staff or staff wrote back) in the database, its -wal or its -shm file."""

from __future__ import annotations

import logging
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.conversation import Conversation, Sender
from bot.store.db import MIGRATIONS, open_db
from tests.test_staff_and_updates_e2e import STAFF_CHAT, _in
from tests.test_telegram_e2e import running_bot

USER_ID = 918_273_645
FIRST, LAST, USERNAME = "Zephyrine", "Quillfeather", "zq_handle_7731"
QUESTION = "does my xylophone licence 4471 need renewing"
FOLLOW_UP = "my marmalade permit number is 55-QX-9"
STAFF_REPLY = "platypus office opens at nine"
PERSONAL = (str(USER_ID), FIRST, LAST, USERNAME, QUESTION, FOLLOW_UP, STAFF_REPLY)


def found_in_files(db_path: Path, secrets: tuple[str, ...]) -> dict[str, list[str]]:
    """Which secrets each of the three SQLite files holds, byte for byte."""
    found = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db_path}{suffix}")
        data = path.read_bytes() if path.exists() else b""
        found[path.name] = [s for s in secrets if s.encode() in data]
    return {name: hits for name, hits in found.items() if hits}


async def _talk_to_staff(api) -> object:
    """The person asks, writes to staff, follows up and gets an answer; returns the person."""
    person = await api.user(USER_ID, FIRST, language_code="en", last_name=LAST,
                            username=USERNAME)
    staff = await api.user(4200, "Staff", language_code="en")
    group = await api.group(STAFF_CHAT, "Support team", members=[staff])
    await api.ask(person, QUESTION)
    await api.ask(person, "/human")
    since = api.mark()
    await api.send_text(person, QUESTION)
    case = await api.wait_for(_in(STAFF_CHAT), since=since)
    await api.ask(person, FOLLOW_UP)
    since = api.mark()
    await api.send_text(staff, STAFF_REPLY, group, reply_to=case)
    await api.wait_for(_in(person.id), since=since)
    await api.wait_idle(quiet=0.5, timeout=10)
    return person


@pytest.mark.asyncio
async def test_after_forget_the_database_files_hold_nothing_of_the_person(settings):
    staffed = replace(settings, staff_chat=STAFF_CHAT, office_hours="always", staff_lang="en")
    async with running_bot(staffed) as (api, _):
        person = await _talk_to_staff(api)
        assert found_in_files(settings.db_path, PERSONAL)  # else this test proves nothing
        confirm = await api.ask(person, "/forget")
        since = api.mark()
        await api.press_button(person, confirm, "x:yes")
        done = await api.wait_for(_in(person.id), since=since)
        assert done.text.startswith("Done: everything")
        await api.wait_idle(quiet=0.5, timeout=10)
        assert found_in_files(settings.db_path, PERSONAL) == {}


@pytest.mark.asyncio
async def test_after_the_retention_purge_the_database_files_hold_nothing_of_the_person(
        settings):
    async with running_bot(settings) as (api, assistant):
        person = await api.user(USER_ID, FIRST, language_code="en", last_name=LAST,
                                username=USERNAME)
        await api.ask(person, QUESTION)
        await api.wait_idle(quiet=0.5, timeout=10)
        assert found_in_files(settings.db_path, PERSONAL)
        with assistant.db.atomic():  # 91 days later
            assistant.db.execute("update queries set at = '2000-01-01T00:00:00+00:00'")
            assistant.db.execute("update users set last_seen = '2000-01-01T00:00:00+00:00'")
        Conversation.for_settings(assistant, settings).housekeeping()  # the daily job's work
        assert found_in_files(settings.db_path, PERSONAL) == {}


# -- what stays, who is named, who can read the file -----------------------------------------

@pytest.fixture
def desk(assistant, settings) -> Conversation:
    return Conversation.for_settings(assistant, replace(settings, editors=frozenset({777})))


def _attach_gap(conversation: Conversation, asker: Sender, question: str) -> None:
    """The person asks something unanswered; an editor attaches it to evisa-fees in /gaps."""
    conversation.text(asker, question)
    editor = Sender("tg:777", "en")
    [_, gap] = conversation.command(editor, "gaps", "").replies
    [attach] = [b.action for row in gap.buttons for b in row
                if b.action and b.action.endswith(":evisa-fees")]
    conversation.action(editor, attach)


def test_a_question_attached_from_gaps_stays_as_knowledge_with_no_link_to_the_asker(
        desk, assistant):
    asker = Sender("tg:1234", "en")
    question = "where do I pay the zebra visa money"
    _attach_gap(desk, asker, question)
    desk.action(asker, "x:yes")  # /forget, confirmed
    db = assistant.db
    assert db.execute("select origin from questions where text = ?", [question]).fetchall() \
        == [("editor",)]
    pseudonym = desk.people.hash("tg:1234")
    for table in db.table_names():
        for row in db[table].rows:
            assert pseudonym not in str(row) and "1234" not in str(row.get("editor", ""))


def test_an_editors_change_in_telegram_is_recorded_as_telegram_and_their_id(desk, assistant):
    _attach_gap(desk, Sender("tg:1234", "en"), "where do I pay the zebra visa money")
    [editor] = assistant.db.execute(
        "select editor from revisions order by id desc limit 1").fetchone()
    assert editor == "telegram:777"


def test_revisions_recorded_with_the_old_editor_name_are_renamed(tmp_path):
    db = open_db(tmp_path / "old.db")
    with db.atomic():
        db["revisions"].insert({"entry_id": "evisa-fees", "at": "2026-01-01T00:00:00+00:00",
                                "editor": "tg:777", "action": "question-added", "version": 2})
        db.execute("update meta set value = ? where key = 'schema_version'",
                   [str(len(MIGRATIONS) - 1)])  # as before the renaming migration
    db.conn.close()
    [(editor,)] = open_db(tmp_path / "old.db").execute("select editor from revisions").fetchall()
    assert editor == "telegram:777"


def test_the_database_and_the_folder_govbot_creates_are_private(tmp_path):
    path = tmp_path / "new-folder" / "govbot.db"
    db = open_db(path)
    db["meta"].upsert({"key": "probe", "value": "x"}, pk="key")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{path}{suffix}").stat().st_mode) == 0o600, suffix


def test_run_warns_at_start_without_a_secret_and_names_ignored_editors(
        settings, monkeypatch, caplog):
    for name, value in {"GOVBOT_DB": str(settings.db_path), "TELEGRAM_BOT_TOKEN": "",
                        "GOVBOT_KNOWLEDGE": str(settings.knowledge_dir), "GOVBOT_SECRET": "",
                        "GOVBOT_EDITORS": "@alice, bob,123"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["run"])
    assert "TELEGRAM_BOT_TOKEN is not set" in result.output  # it got as far as starting
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(w.startswith("GOVBOT_SECRET is not set") for w in warnings)
    assert any(w.startswith("GOVBOT_EDITORS: ignored '@alice', 'bob'") for w in warnings)
