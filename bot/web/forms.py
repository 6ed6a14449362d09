"""The entry form: an Entry as form fields, and form fields as the entry's file data.

The form holds exactly what an entry's YAML file holds, so a draft can be validated and saved
like a file (bot/kb/draft.py). Nothing is fixed up silently: a date that is not a date stays the
text the editor typed, and the validator says what is wrong with it, next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from bot.model import LANGS, Entry

SOURCE_COLUMNS = ("url", "standing", "publisher", "date")
STANDINGS = ("", "official", "press", "other")
DATE_FIELDS = ("reviewed", "expires", "opens", "deadline")
EMPTY_SOURCE_ROWS = 1  # blank rows offered under the sources (the page's script adds more)
_LIST_SPLIT = re.compile(r"[\s,]+")
# What the form edits; any other field of an entry's file is carried through a save unchanged.
FORM_FIELDS = frozenset({"id", "topic", "category", "status", "audience", "official_url",
                         "sources", "related", "only_when", *DATE_FIELDS, *LANGS})
_WORDS_SPLIT = re.compile(r"\s*[,\n]\s*")  # only_when: words or phrases, comma-separated


def _source_row(source: object) -> dict[str, str]:
    """A source as a form row: a plain URL, or a Source with standing, publisher and date."""
    if isinstance(source, str):
        return {"url": source, "standing": "", "publisher": "", "date": ""}
    if isinstance(source, Mapping):
        values = source
    else:
        values = {name: getattr(source, name, None) for name in SOURCE_COLUMNS}
    row = {name: values.get(name) for name in SOURCE_COLUMNS}
    return {name: (value.isoformat() if isinstance(value, date) else str(value or ""))
            for name, value in row.items()}


def entry_form(entry: Entry | None) -> dict[str, object]:
    """The form's values for an entry (None: a new, empty entry)."""
    if entry is None:
        form: dict[str, object] = {
            "id": "", "topic": "", "category": "", "status": "draft", "audience": [],
            "official_url": "", "related": "", "only_when": "", "sources": [],
            **{name: "" for name in DATE_FIELDS},
        }
        for lang in LANGS:
            form.update({f"{lang}.title": "", f"{lang}.answer": "", f"{lang}.questions": ""})
    else:
        form = {
            "id": entry.id, "topic": entry.topic, "category": entry.category,
            "status": entry.status, "audience": list(entry.audience),
            "official_url": entry.official_url or "", "related": " ".join(entry.related),
            "only_when": ", ".join(entry.only_when),
            "sources": [_source_row(s) for s in entry.sources],
            **{name: (getattr(entry, name).isoformat() if getattr(entry, name) else "")
               for name in DATE_FIELDS},
        }
        for lang in LANGS:
            text = entry.texts.get(lang)
            form[f"{lang}.title"] = text.title if text else ""
            form[f"{lang}.answer"] = text.answer if text else ""
            form[f"{lang}.questions"] = "\n".join(
                q.text for q in text.questions if q.origin == "curated") if text else ""
    form["sources"] = [*form["sources"], *([_source_row("")] * EMPTY_SOURCE_ROWS)]  # type: ignore[list-item]
    return form


def read_form(values: Mapping[str, str], multi: Mapping[str, list[str]]) -> dict[str, object]:
    """Form fields as typed (for showing them again), from a submitted form: `values` maps each
    field to its value, `multi` the repeated ones (audience, source columns) to all values."""
    form: dict[str, object] = {
        name: values.get(name, "").strip()
        for name in ("id", "topic", "category", "status", "official_url", "related",
                     "only_when", *DATE_FIELDS)
    }
    form["audience"] = list(multi.get("audience", []))
    columns = [multi.get(f"source_{name}", []) for name in SOURCE_COLUMNS]
    rows = [dict(zip(SOURCE_COLUMNS, (c.strip() for c in cells), strict=True))
            for cells in zip(*columns, strict=False)]
    form["sources"] = [r for r in rows if any(r.values())] + [_source_row("")]
    for lang in LANGS:
        for part in ("title", "answer", "questions"):
            form[f"{lang}.{part}"] = values.get(f"{lang}.{part}", "").replace("\r\n", "\n")
    return form


def _date(text: str) -> date | str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text  # the validator says it is not a date


def _source(row: Mapping[str, str]) -> object:
    extra = {name: row[name] for name in SOURCE_COLUMNS[1:] if row.get(name)}
    if not extra:
        return row["url"]
    data: dict[str, object] = {"url": row["url"], **extra}
    if "date" in data:
        data["date"] = _date(str(data["date"]))
    return data


def form_data(
    form: Mapping[str, object], stored: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The entry as its YAML file would hold it, ready for the validator. Fields of the stored
    file that the form does not show (a field added to entries later) are kept as they were."""
    data: dict[str, object] = {
        "id": form["id"], "topic": form["topic"], "category": form["category"],
        "status": form["status"] or "published", "audience": list(form["audience"]),  # type: ignore[arg-type]
        "official_url": form["official_url"] or None,
        "sources": [_source(r) for r in form["sources"] if r.get("url")],  # type: ignore[union-attr]
        "related": [r for r in _LIST_SPLIT.split(str(form["related"])) if r],
        **{name: _date(str(form[name])) for name in DATE_FIELDS},
    }
    for name in ("opens", "deadline"):
        if data[name] is None:
            del data[name]
    words = [w for w in _WORDS_SPLIT.split(str(form["only_when"])) if w]
    if words:
        data["only_when"] = words
    for lang in LANGS:
        title, answer = str(form[f"{lang}.title"]), str(form[f"{lang}.answer"])
        questions = [q.strip() for q in str(form[f"{lang}.questions"]).split("\n") if q.strip()]
        if title or answer or questions or data["status"] != "draft":
            data[lang] = {"title": title, "answer": answer, "questions": questions}
    kept = {k: v for k, v in (stored or {}).items() if k not in FORM_FIELDS}
    return {**kept, **data}
