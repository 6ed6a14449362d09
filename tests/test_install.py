"""Reproducible installs: every command that installs govbot goes through constraints.txt, which
pins every package it uses, at versions past the known advisories."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PINNED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)", re.MULTILINE)
# The last release with known advisories, and the first without (see pyproject.toml).
ADVISORIES = {"pillow": (Version("12.2.0"), Version("12.3.0")),
              "aiohttp": (Version("3.14.3"), Version("3.14.4"))}


def _pins() -> dict[str, Version]:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    return {canonicalize_name(name): Version(v) for name, v in PINNED.findall(text)}


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra]
    return [Requirement(r) for r in listed]


def test_every_install_command_goes_through_the_constraints_file():
    commands = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                + (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8").splitlines()
                if re.search(r"pip install .*-e", line)]
    assert len(commands) >= 2
    for line in commands:
        assert "-c constraints.txt" in line, line


def test_every_dependency_is_pinned_within_its_bounds():
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run scripts/lock.sh"
        assert pins[name] in requirement.specifier, f"{name}: run scripts/lock.sh"


def test_pillow_and_aiohttp_are_past_their_known_advisories():
    pins = _pins()
    lowest = {canonicalize_name(r.name): r.specifier for r in _requirements()}
    for name, (vulnerable, fixed) in ADVISORIES.items():
        assert pins[name] >= fixed
        assert vulnerable not in lowest[name] and fixed in lowest[name]
