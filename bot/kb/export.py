"""Store → knowledge files: YAML folders an editor can edit and import back, and JSON.

The YAML is written in the same hand-written style as `knowledge/` (field order, flow lists for
ids, literal blocks for answers), so exporting the store over a checkout of the files shows only
real content changes in a diff, and importing the export changes nothing. Every text is checked
by parsing it back: a string YAML cannot hold in the readable style falls back to a quoted one
rather than being altered.

Questions that editors attached in Telegram (origin `editor` or `learned`) live in the store, not
in the files; the YAML export lists them as comments under the entry's questions, so an editor
sees them and can make one permanent by removing the "# ". A re-import keeps them either way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
import yaml

from bot.kb.files import CATEGORIES_FILE, ENTRY_GLOB, SCOPE_FILE, SYNONYMS_FILE, read_rules
from bot.kb.sources import read_domain_lists
from bot.model import LANGS, Entry, Source, entry_from_dict, entry_to_dict
from bot.store.knowledge import read_categories, read_entries, read_scope, read_synonyms

_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")


def _dump(value: object, **options: object) -> str:
    return yaml.safe_dump(
        value, allow_unicode=True, sort_keys=False, width=math.inf, **options  # type: ignore[arg-type]
    )


def _loads_back(key_and_value: str, value: object) -> bool:
    try:
        return yaml.safe_load(key_and_value) == {"k": value}
    except yaml.YAMLError:
        return False


def scalar(value: object) -> str:
    """`value` as a one-line YAML scalar, quoted only when YAML would otherwise misread it."""
    if isinstance(value, str) and any(brk in value for brk in _LINE_BREAKS):
        text = _dump(value, default_style='"').rstrip("\n")
    else:
        text = _dump({"k": value}).rstrip("\n").removeprefix("k: ")
    if "\n" in text or not _loads_back(f"k: {text}", value):
        text = _dump(value, default_style='"').rstrip("\n")
    return text


def _flow_list(values: Iterable[str]) -> str:
    return _dump(list(values), default_flow_style=True).rstrip("\n")


def _literal(value: str, indent: str) -> list[str] | None:
    """A literal block (`|`) for a multi-line answer, or None when YAML cannot hold it that way."""
    if not value.strip() or any(brk in value for brk in _LINE_BREAKS[1:]):
        return None
    if value.endswith("\n\n"):
        header, body = "|+", value[:-1]
    elif value.endswith("\n"):
        header, body = "|", value[:-1]
    else:
        header, body = "|-", value
    lines = [header] + [indent + line if line else "" for line in body.split("\n")]
    return lines if _loads_back("k: " + "\n".join(lines) + "\n", value) else None


def _text_block(entry: Entry, lang: str) -> list[str]:
    text = entry.texts[lang]
    lines = [f"{lang}:", f"  title: {scalar(text.title)}"]
    literal = _literal(text.answer, "    ")
    if literal is None:
        lines.append(f"  answer: {scalar(text.answer)}")
    else:
        lines.append(f"  answer: {literal[0]}")
        lines.extend(literal[1:])
    curated = [q.text for q in text.questions if q.origin == "curated"]
    kept = [q for q in text.questions if q.origin != "curated"]
    if curated:
        lines.append("  questions:")
        lines.extend(f"    - {scalar(q)}" for q in curated)
    else:
        lines.append("  questions: []")
    if kept:
        lines.append("    # Added in Telegram (kept in the store; remove \"# \" to keep it "
                     "in this file):")
        lines.extend(f"    # - {scalar(q.text)}  # {q.origin}" for q in kept)
    return lines


def _source_lines(source: Source) -> list[str]:
    """One source in the mapping form: url and standing, publisher and date when known."""
    lines = [f"  - url: {scalar(source.url)}", f"    standing: {scalar(source.standing)}"]
    if source.publisher is not None:
        lines.append(f"    publisher: {scalar(source.publisher)}")
    if source.date is not None:
        lines.append(f"    date: {source.date.isoformat()}")
    return lines


def files_form(entry: Entry) -> dict[str, object]:
    """What the YAML file holds: the entry without the questions editors added in Telegram."""
    data = entry_to_dict(entry)
    for lang in LANGS:
        if isinstance(data.get(lang), dict):
            text = dict(data[lang])  # type: ignore[arg-type]
            text["questions"] = [q for q in text["questions"] if isinstance(q, str)]
            data[lang] = text
    return data


def entry_yaml(entry: Entry) -> str:
    """One entry file's text, in the layout of `knowledge/<category>/<id>.yaml`."""
    lines = [
        f"id: {scalar(entry.id)}",
        f"topic: {scalar(entry.topic)}",
        f"category: {scalar(entry.category)}",
    ]
    if entry.status != "published":
        lines.append(f"status: {scalar(entry.status)}")
    lines += [
        f"audience: {_flow_list(entry.audience)}",
    ]
    if entry.only_when:
        lines.append(f"only_when: {_flow_list(entry.only_when)}")
    lines.append(f"official_url: {scalar(entry.official_url)}")
    if entry.sources:
        lines.append("sources:")
        for source in entry.sources:
            lines.extend(_source_lines(source))
    else:
        lines.append("sources: []")
    lines += [
        f"reviewed: {entry.reviewed.isoformat() if entry.reviewed else 'null'}",
        f"expires: {entry.expires.isoformat() if entry.expires else 'null'}",
    ]
    lines += [f"{name}: {value.isoformat()}"
              for name, value in (("opens", entry.opens), ("deadline", entry.deadline)) if value]
    lines += [
        f"related: {_flow_list(entry.related)}",
    ]
    for lang in LANGS[::-1]:  # en, then km: the order editors are used to
        if lang in entry.texts:
            lines.extend(_text_block(entry, lang))
    text = "\n".join(lines) + "\n"
    expected = files_form(entry)
    try:
        parsed = yaml.safe_load(text)
        same = entry_to_dict(entry_from_dict(parsed)) == expected
    except (yaml.YAMLError, KeyError, TypeError, ValueError):
        same = False
    # Belt and braces: should the readable layout ever misrepresent a text, use PyYAML's own.
    return text if same else _dump(expected)


def synonyms_yaml(synonyms: Mapping[str, Mapping[str, str]]) -> str:
    """synonyms.yaml: per language, colloquial term → canonical term."""
    return _dump({lang: dict(table) for lang, table in synonyms.items()}) if synonyms else "{}\n"


def categories_yaml(categories: Mapping[str, Mapping[str, str]]) -> str:
    """categories.yaml: category slugs in menu order, each with its English and Khmer name."""
    data = {slug: {"en": names["en"], "km": names["km"]} for slug, names in categories.items()}
    return _dump(data) if data else "{}\n"


@dataclass
class FolderExport:
    """What writing a knowledge folder did, by path relative to the folder."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class ExportError(Exception):
    """The export could not be written (the message says why, for an editor)."""


SYNONYMS_HEADER = (
    "# Colloquial, misspelt and romanised terms → the canonical word used in the entries' "
    "questions.\n"
    "# A canonical word must not itself be a key (map straight to the final word). "
    "Edit, then: govbot kb import\n"
)
CATEGORIES_HEADER = "# Menu categories: the folder names, with their names in both languages.\n"
SCOPE_HEADER = (
    "# What is not ours: other countries and their schemes, everyday subjects, banks' own "
    "products,\n# and questions editors marked \"not ours\". Edit, then: govbot kb import\n"
)


@dataclass(frozen=True)
class _File:
    text: str
    content: object  # what the file must parse to; None when only the exact text will do


def _parsed_content(rel: str, text: str, standing_of: Callable[[str], str]) -> object:
    data = yaml.safe_load(text)
    if rel in (SYNONYMS_FILE, CATEGORIES_FILE, SCOPE_FILE):
        return data or {}
    return files_form(entry_from_dict(data, standing_of))


def folder_files(
    entries: Iterable[Entry],
    synonyms: Mapping[str, Mapping[str, str]],
    categories: Mapping[str, Mapping[str, str]],
    scope: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Every file of a knowledge folder, by relative path, as text."""
    return {rel: f.text for rel, f in _folder(entries, synonyms, categories, scope).items()}


def _folder(
    entries: Iterable[Entry],
    synonyms: Mapping[str, Mapping[str, str]],
    categories: Mapping[str, Mapping[str, str]],
    scope: Mapping[str, object] | None = None,
) -> dict[str, _File]:
    files = {}
    for entry in entries:
        plain = all(q.origin == "curated" for t in entry.texts.values() for q in t.questions)
        files[f"{entry.category}/{entry.id}.yaml"] = _File(
            entry_yaml(entry), files_form(entry) if plain else None
        )
    files[SYNONYMS_FILE] = _File(
        SYNONYMS_HEADER + synonyms_yaml(synonyms),
        {lang: dict(table) for lang, table in synonyms.items()},
    )
    files[CATEGORIES_FILE] = _File(
        CATEGORIES_HEADER + categories_yaml(categories),
        {slug: {"en": n["en"], "km": n["km"]} for slug, n in categories.items()},
    )
    if scope:
        files[SCOPE_FILE] = _File(SCOPE_HEADER + _dump(dict(scope)), dict(scope))
    return files


def _already_right(
    path: Path, rel: str, wanted: _File, standing_of: Callable[[str], str]
) -> bool:
    """The file holds exactly this content already (its own layout and comments are kept)."""
    if not path.is_file():
        return False
    raw = path.read_bytes()
    if raw == wanted.text.encode("utf-8"):
        return True
    if wanted.content is None:
        return False
    try:
        return _parsed_content(rel, raw.decode("utf-8"), standing_of) == wanted.content
    except (yaml.YAMLError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return False


def write_folder(db: sqlite_utils.Database, out: Path, *, overwrite: bool = False) -> FolderExport:
    """Write the store as a knowledge folder that `govbot kb import` reads back unchanged.

    Into a folder that already holds knowledge files only with `overwrite`: then entry files the
    store no longer has are deleted, so the folder matches the store exactly (otherwise the next
    import would bring removed entries back). A file that already holds the right content is not
    touched, whatever its layout: exporting over a checkout of `knowledge/` rewrites only what
    really changed, and keeps the editors' comments everywhere else.
    """
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; give a folder for the YAML export")
    existing = sorted(out.glob(ENTRY_GLOB)) if out.is_dir() else []
    if not overwrite and (existing or (out / SYNONYMS_FILE).exists()):
        raise ExportError(f"{out} already holds knowledge files; add --overwrite to replace them")
    files = _folder(read_entries(db), read_synonyms(db), read_categories(db), read_scope(db))
    domains, _ = read_domain_lists(read_rules(out).domains if out.is_dir() else None)
    result = FolderExport()
    for rel, wanted in sorted(files.items()):
        path = out / rel
        if _already_right(path, rel, wanted, domains.standing_of):
            result.unchanged.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wanted.text.encode("utf-8"))
        result.written.append(rel)
    for path in existing:
        rel = path.relative_to(out).as_posix()
        if rel not in files:
            path.unlink()
            result.deleted.append(rel)
    return result


def entries_json(entries: Iterable[Entry]) -> str:
    """One JSON array of entries with both languages, questions (and their origin) included."""
    return json.dumps([entry_to_dict(e) for e in entries], ensure_ascii=False, indent=2) + "\n"
