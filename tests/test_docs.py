"""The docs a new user reads in a fresh clone stand alone and cover every command and setting.

Why a test: the README and --help once sent readers to files a clone does not have
(../shared/design.md), so the JSON reply was documented nowhere in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
OUTSIDE = re.compile(r"\.\./shared|\bshared/|design\.md|khmer-notes|\bissue \d+", re.IGNORECASE)


def _texts() -> list[Path]:
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for folder in ("bot", "tests", "scripts"):
        paths += sorted(p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".sh"})
    return [p for p in paths if p.name != "test_docs.py"]


def _commands(group: click.Group, prefix: str = "govbot") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


@pytest.mark.parametrize("path", _texts(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_and_comments_point_to_nothing_outside_the_repository(path: Path) -> None:
    lines = [f"{n}: {line}" for n, line in enumerate(path.read_text(encoding="utf-8")
                                                   .splitlines(), 1) if OUTSIDE.search(line)]
    assert lines == []


@pytest.mark.parametrize("command", ["", *(c.removeprefix("govbot ").strip()
                                          for c in _commands(main))])
def test_help_points_to_nothing_outside_the_repository(command: str) -> None:
    out = CliRunner().invoke(main, [*command.split(), "--help"]).output
    assert not OUTSIDE.search(out)


def test_reference_shows_every_command_with_an_example() -> None:
    for command in [*_commands(main), "govbot --version"]:
        assert f"$ {command}" in REFERENCE or f"`{command}" in REFERENCE, command


def test_reference_lists_every_environment_variable_the_bot_reads() -> None:
    source = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r'environ(?:\.get\(|\[)"([A-Z_]+)"', source))
    assert read >= {"TELEGRAM_BOT_TOKEN", "GOVBOT_STAFF_CHAT", "GOVBOT_OFFICE_HOURS"}
    console = {"GOVBOT_CONSOLE_PORT", "GOVBOT_CONSOLE_HOST", "GOVBOT_CONSOLE_URL"}
    for name in read | console:
        assert f"| `{name}` |" in REFERENCE, name


def test_reference_documents_the_json_reply_and_the_exit_codes() -> None:
    for field in ("status", "lang", "query_lang", "score", "entry", "suggestions",
                  "entry.sources", "entry.reviewed"):
        assert f"| `{field}`" in REFERENCE or f"`{field}`," in REFERENCE, field
    assert "| 0 | success |" in REFERENCE and "| 2 | usage error" in REFERENCE


def test_readme_command_table_has_every_command() -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for command in _commands(main):
        assert f"`{command}" in table, command
    assert "--editor" in table and "--version" in table


@pytest.mark.parametrize("path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_every_file_the_docs_name_is_in_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w/.-])((?:docs|scripts|knowledge|locales)/[\w./-]*\.\w+)",
                           text))
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == []
