"""The knowledge base as one spreadsheet: one row per entry, both languages side by side.

Reviewers who do not edit YAML read and correct answers in Excel or LibreOffice. The file is
UTF-8 with a byte-order mark, because without it Excel shows Khmer as mojibake. Lists (questions,
sources) are one item per line inside a cell; a source is `url | standing | publisher | date`,
the last two only when known. The CSV comes back through the same validation as
the YAML files: each row is turned into the data an entry file would hold and checked by
`bot.kb.validate`, and every problem is reported against the CSV's line, row and column.

A cell that a spreadsheet would run as a formula (it begins with =, +, -, @, a tab or a carriage
return: "CSV injection") is written with a leading apostrophe, so that it shows as text; a
question a person typed reaches the export once an editor attaches it from /gaps. Import removes
exactly that apostrophe, so the round trip stays exact.

A CSV holds the whole knowledge base, like a knowledge folder: importing it makes the store match
it (a deleted row is a removed entry). Synonyms and menu categories are not in the CSV; the store
keeps its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from bot.kb.files import KnowledgeFiles, RuleFiles, SourceFile
from bot.kb.validate import ID_RE, Problem, Validated, validate
from bot.model import LANGS, Entry, EntryText, Question, Source

BOM = "\ufeff"
COLUMNS: tuple[str, ...] = (
    "id", "category", "topic", "status", "reviewed", "expires",
    "en_title", "km_title", "en_answer", "km_answer",
    "en_questions", "km_questions", "en_editor_questions", "km_editor_questions",
    "official_url", "sources", "audience", "related", "opens", "deadline", "only_when",
)
SOURCE_SEPARATOR = " | "
REQUIRED_COLUMNS = frozenset({"id", "category", "topic"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A cell beginning with one of these is marked as text; one that began with the mark itself is
# marked too, so that import can always remove exactly one.
TEXT_MARK = "'"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", TEXT_MARK)


class CsvExportError(ValueError):
    """An entry holds something one CSV cell per field cannot carry back unchanged."""


def _lines(values: Iterable[str]) -> str:
    return "\n".join(values)


def source_cell_line(source: Source) -> str:
    """One source as a line of the sources cell: `url | standing | publisher | date`."""
    for text in (source.url, source.publisher or ""):
        if "|" in text or "\n" in text or "\r" in text:
            raise CsvExportError(f"source {text!r} cannot be one part of a CSV sources line")
    parts = [source.url, source.standing]
    if source.publisher is not None or source.date is not None:
        parts.append(source.publisher or "")
    if source.date is not None:
        parts.append(source.date.isoformat())
    return SOURCE_SEPARATOR.join(parts)


def entry_row(entry: Entry) -> dict[str, str]:
    """One entry as a CSV row (cells are text; lists are one item per line)."""
    row = {
        "id": entry.id,
        "category": entry.category,
        "topic": entry.topic,
        "status": entry.status,
        "reviewed": entry.reviewed.isoformat() if entry.reviewed else "",
        "expires": entry.expires.isoformat() if entry.expires else "",
        "opens": entry.opens.isoformat() if entry.opens else "",
        "deadline": entry.deadline.isoformat() if entry.deadline else "",
        "official_url": entry.official_url or "",
        "sources": _lines(source_cell_line(s) for s in entry.sources),
        "audience": ", ".join(entry.audience),
        "related": ", ".join(entry.related),
        "only_when": ", ".join(entry.only_when),
    }
    for lang in LANGS:
        text = entry.texts.get(lang)
        questions = text.questions if text else ()
        for q in questions:
            if "\n" in q.text or "\r" in q.text or not q.text.strip():
                raise CsvExportError(
                    f"{entry.id}: question {q.text!r} cannot be one line of a CSV cell")
        row[f"{lang}_title"] = text.title if text else ""
        row[f"{lang}_answer"] = text.answer if text else ""
        row[f"{lang}_questions"] = _lines(q.text for q in questions if q.origin == "curated")
        row[f"{lang}_editor_questions"] = _lines(
            q.text for q in questions if q.origin != "curated")
    return row


def as_text(cell: str) -> str:
    """The cell as a spreadsheet will show it, never run it (see the module's docstring)."""
    return TEXT_MARK + cell if cell.startswith(_FORMULA_START) else cell


def entries_csv(entries: Iterable[Entry]) -> str:
    """The CSV text, starting with the byte-order mark spreadsheets need to see UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow({name: as_text(cell) for name, cell in entry_row(entry).items()})
    return BOM + out.getvalue()


def write_csv(entries: Iterable[Entry], path: Path) -> int:
    """Write the CSV file; returns the number of entries (rows after the header)."""
    entries = list(entries)
    path.write_bytes(entries_csv(entries).encode("utf-8"))
    return len(entries)


# --- reading it back ----------------------------------------------------------------------


def _cell(value: str) -> str:
    value = value.removeprefix(TEXT_MARK)  # the mark `as_text` added on export
    return value.replace("\r\n", "\n")  # some spreadsheets save line breaks in cells as CRLF


def _items(value: str, separators: str = "\n") -> list[str]:
    for sep in separators[1:]:
        value = value.replace(sep, separators[0])
    return [item for item in value.split(separators[0]) if item.strip()]


_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")


def _date(value: str) -> date | str | None:
    """A date cell; spreadsheets like to rewrite 2026-11-20 as 2026/11/20 or with a time."""
    value = value.strip()
    if not value:
        return None
    match = _YEAR_FIRST.match(value)
    try:
        return date(*(int(g) for g in match.groups())) if match else value
    except ValueError:
        return value  # validation says "as YYYY-MM-DD"; day-first dates are ambiguous


def _source_data(line: str) -> object:
    """A line of the sources cell as an entry file would hold it: a plain URL or a mapping."""
    parts = [part.strip() for part in line.split("|", 3)]
    if len(parts) == 1:
        return parts[0]
    data: dict[str, object] = {"url": parts[0]}
    for name, value in zip(("standing", "publisher"), parts[1:3], strict=False):
        if value:
            data[name] = value
    if len(parts) == 4 and parts[3]:
        data["date"] = _date(parts[3])
    return data


def _row_data(row: dict[str, str]) -> tuple[dict[str, object], dict[str, int]]:
    """The data an entry file would hold, and how many curated questions each language has."""
    get = {key: _cell(row.get(key) or "") for key in COLUMNS}
    data: dict[str, object] = {
        "id": get["id"].strip(),
        "topic": get["topic"].strip(),
        "category": get["category"].strip(),
        "audience": [a.strip() for a in _items(get["audience"], "\n,")],
        "official_url": get["official_url"].strip() or None,
        "sources": [_source_data(s) for s in _items(get["sources"])],
        "reviewed": _date(get["reviewed"]),
        "expires": _date(get["expires"]),
        "related": [r.strip() for r in _items(get["related"], "\n,")],
    }
    if get["status"].strip():
        data["status"] = get["status"].strip()
    for name in ("opens", "deadline"):
        if get[name].strip():
            data[name] = _date(get[name])
    if get["only_when"].strip():
        data["only_when"] = [w.strip() for w in _items(get["only_when"], "\n,")]
    curated: dict[str, int] = {}
    for lang in LANGS:
        cells = [get[f"{lang}_{part}"] for part in
                 ("title", "answer", "questions", "editor_questions")]
        if not any(c.strip() for c in cells):
            continue  # no such language (a draft): validation decides whether that is allowed
        questions = _items(get[f"{lang}_questions"])
        extra = [q for q in _items(get[f"{lang}_editor_questions"]) if q not in questions]
        curated[lang] = len(questions)
        data[lang] = {"title": get[f"{lang}_title"], "answer": get[f"{lang}_answer"],
                      "questions": questions + extra}
    return data, curated


def _field_lines(data: object, path: str, line: int, lines: dict[str, int]) -> None:
    if path:
        lines[path] = line
    if isinstance(data, dict):
        for key, value in data.items():
            _field_lines(value, f"{path}.{key}" if path else str(key), line, lines)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _field_lines(value, f"{path}.{i}", line, lines)


def _column(field: str, curated: Mapping[str, int]) -> str:
    """The CSV column (and item) a validation field path such as "km.questions.7" refers to."""
    parts = field.split(".")
    if parts[0] in LANGS:
        lang = parts[0]
        if len(parts) == 1:
            return f"columns {lang}_title, {lang}_answer, {lang}_questions"
        if parts[1] == "questions" and len(parts) == 3 and parts[2].isdigit():
            i = int(parts[2])
            n = curated.get(lang, 0)
            if i < n:
                return f"column {lang}_questions, question {i + 1}"
            return f"column {lang}_editor_questions, question {i - n + 1}"
        return f"column {lang}_{parts[1]}"
    if parts[0] in ("sources", "related", "audience", "only_when") and len(parts) >= 2:
        part = f" ({parts[2]})" if len(parts) == 3 else ""
        return f"column {parts[0]}, item {int(parts[1]) + 1}{part}"
    return f"column {parts[0]}" if parts[0] else ""


def _delimiter(header: str) -> str:
    """Comma, or what a spreadsheet in another locale saved instead (semicolon, tab)."""
    return max(",;\t", key=lambda d: sum(c.strip(BOM + ' "') in COLUMNS
                                        for c in header.split(d)))


def read_csv_rows(
    path: Path,
) -> tuple[list[tuple[int, int, dict[str, str]]], list[Problem]]:
    """Rows as (line, row number, cells), and problems with the file itself (encoding, header)."""
    problems: list[Problem] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(path, 1, "", "the file is not UTF-8 text; in the spreadsheet choose "
                            "Save as → \"CSV UTF-8\"")]
    if not text.strip():
        return [], [Problem(path, 1, "", "the file is empty")]
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=_delimiter(text.split("\n", 1)[0]))
    header = [h.strip() for h in next(reader)]
    for i, name in enumerate(header):
        if name and name not in COLUMNS:
            problems.append(Problem(path, 1, f"column {i + 1}",
                                    f'unknown column "{name}" (a typo?); the columns are: '
                                    + ", ".join(COLUMNS)))
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if missing:
        problems.append(Problem(path, 1, "", "missing column(s): " + ", ".join(missing)))
    rows = []
    previous_end = reader.line_num
    for number, cells in enumerate(reader, start=2):
        start, previous_end = previous_end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(Problem(path, start, f"row {number}",
                                    f"{len(cells)} cells but only {len(header)} columns"))
        rows.append((start, number, dict(zip(header, cells, strict=False))))
    return rows, problems


def load_csv(
    path: Path, categories: Mapping[str, Mapping[str, str]] | None = None,
    rules: RuleFiles | None = None,
) -> Validated:
    """Read and validate a CSV export exactly as a knowledge folder would be validated.

    `categories` are the store's menu categories (the CSV does not carry them); when given, a
    row's category must be one of them. `rules` are the knowledge folder's rule files: the domain
    lists that give plain-URL sources their standing, the Khmer style, the dated words.
    """
    rows, problems = read_csv_rows(path)
    if problems and not rows:
        return Validated(problems=problems)
    sources: list[SourceFile] = []
    where: dict[str, tuple[int, int, dict[str, int]]] = {}  # stand-in path → line, row, …
    curated_by_id: dict[str, dict[str, int]] = {}
    row_ids: set[str] = set()
    for line, number, cells in rows:
        data, curated = _row_data(cells)
        # The validator checks that an entry's id and category match its file's name and folder;
        # a row gets a stand-in path that does, and its own checks for a bad id or category.
        category, entry_id = str(data["category"]), str(data["id"])
        fake = Path(f"row-{number}") / (category if _SLUG.match(category) else "-") / (
            f"{entry_id if ID_RE.match(entry_id) else '-'}.yaml")
        if not _SLUG.match(category):
            known = ": " + ", ".join(categories) if categories else ""
            problems.append(Problem(
                path, line, f"row {number}, column category",
                f'"{category}" is not a category; use one of the categories{known}'
                if category else f"required: one of the categories{known}"))
        lines: dict[str, int] = {}
        _field_lines(data, "", line, lines)
        sources.append(SourceFile(fake, data, lines))
        where[str(fake)] = (line, number, curated)
        row_ids.add(entry_id)
        curated_by_id.setdefault(entry_id, curated)
    table = SourceFile(Path("categories (as stored)"), dict(categories)) if categories else None
    validated = validate(KnowledgeFiles(path.parent, sources, None, table,
                                        rules=rules or RuleFiles()))
    validated.categories = {}
    renames = sorted(where.items(), key=lambda kv: -len(kv[0]))
    for problem in validated.problems:
        spot = where.get(str(problem.path))
        if spot is None:
            problems.append(problem)
            continue
        line, number, curated = spot
        if problem.field == "category" and "must match the folder" in problem.message:
            continue  # reported above in CSV terms
        message = problem.message
        for fake_path, (_, other, _) in renames:
            message = message.replace(fake_path, f"row {other}")
        column = _column(problem.field, curated)
        problems.append(replace(problem, path=path, line=line, message=message,
                                field=f"row {number}, {column}" if column else f"row {number}"))
    unbuilt = row_ids - {e.id for e in validated.entries}
    validated.problems = [p for p in problems if not _echo_of_bad_row(p, unbuilt)]
    validated.entries = [_with_origins(e, curated_by_id[e.id]) for e in validated.entries]
    return validated


def _with_origins(entry: Entry, curated: Mapping[str, int]) -> Entry:
    """Mark the questions that came from the *_editor_questions columns as editor-added."""
    texts = {}
    for lang, text in entry.texts.items():
        n = curated.get(lang, len(text.questions))
        questions = tuple(q if i < n else Question(q.text, "editor")
                          for i, q in enumerate(text.questions))
        texts[lang] = EntryText(text.title, text.answer, questions)
    return replace(entry, texts=texts)


def _echo_of_bad_row(problem: Problem, unbuilt: set[str]) -> bool:
    """A "related id does not exist" error about a row that is there but too broken to read.

    Such a row is reported where it is wrong; repeating it on every row that relates to it
    would bury the one real problem (typically a date the spreadsheet reformatted).
    """
    match = re.search(r'column related, item \d+$', problem.field)
    quoted = re.match(r'^"([^"]+)" is not the id of another entry$', problem.message)
    return bool(match and quoted and quoted.group(1) in unbuilt)
