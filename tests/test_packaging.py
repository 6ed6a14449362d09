"""What a production install gets: the wheel holds govbot and its data, and no test code.

Why a test: the fake Telegram Bot API server once lived inside the package and shipped in every
install; this keeps test machinery (tests/, the fake server, test modules) out of the wheel.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

hatchling_wheel = pytest.importorskip(
    "hatchling.builders.wheel", reason="the test extra: pip install -c constraints.txt -e '.[test]'"
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The file names inside a wheel built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    builder = hatchling_wheel.WheelBuilder(str(ROOT))
    (path,) = builder.build(directory=str(out), versions=["standard"])
    with zipfile.ZipFile(path) as wheel:
        return wheel.namelist()


def test_wheel_holds_the_bot_its_knowledge_and_translations(wheel_files: list[str]) -> None:
    assert "bot/cli.py" in wheel_files
    assert any(name.startswith("bot/_data/knowledge/") for name in wheel_files)
    assert "bot/_data/locales/km/LC_MESSAGES/messages.mo" in wheel_files


def test_wheel_holds_no_test_code(wheel_files: list[str]) -> None:
    test_code = [
        name
        for name in wheel_files
        if name.startswith("tests/")
        or "/fakeapi/" in name
        or Path(name).name in {"conftest.py"}
        or (Path(name).name.startswith("test_") and name.endswith(".py"))
    ]
    assert test_code == []


def test_bench_says_plainly_when_the_fake_server_is_not_in_a_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bot.bench import fakeserver
    from bot.cli import main

    monkeypatch.setattr(fakeserver, "source_root", lambda: tmp_path)
    monkeypatch.delitem(__import__("sys").modules, fakeserver.MODULE_NAME, raising=False)
    result = CliRunner().invoke(main, ["bench", "--quick", "--sections", "e2e"])
    assert result.exit_code == 1
    assert "needs the fake Telegram Bot API server from govbot's source tree" in result.output
    assert "pip install -c constraints.txt -e '.[bench]'" in result.output


def test_bench_finds_the_fake_server_in_the_source_tree() -> None:
    from bot.bench.fakeserver import load_fake_api

    assert load_fake_api().FakeBotApi.__name__ == "FakeBotApi"
