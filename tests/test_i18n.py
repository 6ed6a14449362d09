"""Catalogs and locale formatting: a Khmer reader never meets an untranslated English string."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import format_day, gettext

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalog(lang: str):
    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _source_msgids() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2")],
        options_map={"web/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None},
    )
    return {msg[2] for msg in found}


def test_catalog_template_matches_the_code():
    with open(ROOT / "locales" / "messages.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    assert template == _source_msgids(), "run the extract/update commands in the README"


@pytest.mark.parametrize("lang", ["km", "en"])
def test_every_string_is_in_each_catalog(lang):
    ids = {m.id for m in _catalog(lang) if m.id}
    assert _source_msgids() <= ids


def test_every_khmer_string_is_translated_and_not_fuzzy():
    for message in _catalog("km"):
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert "fuzzy" not in message.flags, f"fuzzy: {message.id!r}"
        assert re.search("[\u1780-\u17ff]", message.string), f"not Khmer: {message.string!r}"
        assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id))


@pytest.mark.parametrize("lang", ["km", "en"])
def test_compiled_catalogs_match_their_sources(lang):
    with open(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    source = {m.id: m.string for m in _catalog(lang) if m.id and m.string}
    assert compiled == source, "run `pybabel compile -d locales -D messages`"


def test_khmer_and_english_strings_at_runtime():
    assert gettext("km", "Official site") == "គេហទំព័រផ្លូវការ"
    assert gettext("en", "Official site") == "Official site"
    assert gettext("km", "Source: {url}", url="https://x.gov.kh") == "ប្រភព៖ https://x.gov.kh"


def test_dates_in_each_language():
    assert format_day(date(2026, 11, 25), "en") == "25 November 2026"
    assert format_day(date(2026, 11, 25), "km") == "២៥ វិច្ឆិកា ២០២៦"
