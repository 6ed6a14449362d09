"""A restart reuses the built matching index kept beside the database, and only while it fits.

What a user notices: `govbot ask` and a bot restart answer at once instead of rebuilding the
index; and never an answer from an index built for other knowledge, other code or a damaged file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import assistant as assistant_module
from bot.assistant import Assistant
from bot.kb.importer import import_knowledge
from bot.store import index_cache


def _forbid_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was rebuilt")

    monkeypatch.setattr(assistant_module, "Matcher", refuse)


def _count_building(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    built: list[int] = []
    real = assistant_module.Matcher

    def counting(*args: object, **kwargs: object):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(assistant_module, "Matcher", counting)
    return built


def _index(settings) -> Path:
    return index_cache.index_path(Path(settings.db_path))


def test_a_restart_answers_from_the_stored_index_without_rebuilding(settings, monkeypatch):
    first = Assistant.open(settings).ask("evisa fee")
    assert _index(settings).is_file()
    _forbid_building(monkeypatch)
    again = Assistant.open(settings).ask("evisa fee")
    assert (again.entry.id, again.score) == (first.entry.id, first.score) == (
        "evisa-fees", first.score)


def test_an_import_makes_the_next_start_rebuild_with_the_new_knowledge(
        settings, knowledge, monkeypatch):
    Assistant.open(settings)
    path = knowledge / "visitors" / "evisa-fees.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  - evisa fee\n", "  - evisa fee\n    - what does the electronic visa cost\n"),
        encoding="utf-8")
    db = Assistant.open(settings).db
    assert import_knowledge(db, knowledge, "tester").summary is not None
    built = _count_building(monkeypatch)
    answer = Assistant.open(settings).ask("what does the electronic visa cost")
    assert built == [1]
    assert answer.entry is not None and answer.entry.id == "evisa-fees"


def test_other_code_makes_the_next_start_rebuild(settings, monkeypatch):
    Assistant.open(settings)
    monkeypatch.setattr(index_cache, "code_version", lambda: "another build of govbot")
    built = _count_building(monkeypatch)
    Assistant.open(settings)
    assert built == [1]


def test_a_new_fit_counts_as_other_code(tmp_path, monkeypatch):
    """`govbot fit` rewrites engine/fitted.json; the matcher keeps the recipe read from it, so
    an index built before the fit must not be reused after it."""
    package = tmp_path / "bot"
    (package / "engine").mkdir(parents=True)
    for name in ("assistant.py", "model.py", "engine/matcher.py"):
        (package / name).write_text("# code\n", encoding="utf-8")
    fitted = package / "engine" / "fitted.json"
    fitted.write_text('{"recipe": {"pooled_weight": 0.2}}', encoding="utf-8")
    monkeypatch.setattr(index_cache, "_PACKAGE", package)
    before = index_cache.code_version.__wrapped__()
    fitted.write_text('{"recipe": {"pooled_weight": 0.0}}', encoding="utf-8")
    assert index_cache.code_version.__wrapped__() != before


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "garbage"])
def test_a_damaged_index_file_is_rebuilt_never_trusted(settings, monkeypatch, damage):
    expected = Assistant.open(settings).ask("evisa fee")
    path = _index(settings)
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[-100] ^= 0xFF
    elif damage == "truncate":
        del data[len(data) // 2:]
    else:
        data[:] = b"not an index at all"
    path.write_bytes(bytes(data))
    built = _count_building(monkeypatch)
    answer = Assistant.open(settings).ask("evisa fee")
    assert built == [1]
    assert (answer.entry.id, answer.score) == (expected.entry.id, expected.score)
    assert index_cache.load(path, _key_now(settings)) is not None  # written back whole


def _key_now(settings):
    from datetime import date

    from bot.store.db import open_db

    return index_cache.index_key(open_db(Path(settings.db_path)), date.today())


def test_a_store_rebuilt_from_other_knowledge_is_not_answered_from_the_old_index(
        settings, knowledge, monkeypatch):
    Assistant.open(settings)
    Path(settings.db_path).unlink()  # the index file stays behind
    path = knowledge / "visitors" / "evisa-fees.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "How much the e-Visa costs", "What the e-Visa costs"), encoding="utf-8")
    built = _count_building(monkeypatch)
    answer = Assistant.open(settings).ask("evisa fee")
    assert built == [1]
    assert answer.entry.text("en").title == "What the e-Visa costs"
