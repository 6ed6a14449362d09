"""Validation of the knowledge files: every rule of docs/content-guide.md, in an editor's words.

Validation never stops at the first problem: an editor fixing a batch of files wants the whole
list at once, each with file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

from bot.engine.normalize import normalize
from bot.engine.scope import MARKER_LISTS, SCOPE_LISTS
from bot.kb.files import KnowledgeFiles, SourceFile
from bot.kb.html_check import check_telegram_html
from bot.kb.rules import Rules, entry_findings, load_rules
from bot.model import LANGS, STANDINGS, TOPIC_SLUGS, Entry, entry_from_dict

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
AUDIENCES = frozenset({"citizen", "visitor", "business", "student", "official"})
STATUSES = frozenset({"published", "draft"})
ENTRY_FIELDS = frozenset(
    {"id", "topic", "category", "audience", "official_url", "sources", "reviewed", "expires",
     "related", "status", "opens", "deadline", "only_when", *LANGS}
)
SOURCE_FIELDS = frozenset({"url", "standing", "publisher", "date"})
TEXT_FIELDS = frozenset({"title", "answer", "questions"})
MAX_ANSWER = 3500
ADVISED_ANSWER = 1500
MIN_QUESTIONS = 6
REVIEW_EVERY = timedelta(days=183)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth a look (warning) in a knowledge file."""

    path: Path
    line: int
    field: str
    message: str
    level: str = "error"
    rule: str = ""  # the trust and style rules name themselves, for counts by rule

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.level}: {self.field}: {self.message}" if self.field else (
            f"{where}: {self.level}: {self.message}"
        )


@dataclass
class Validated:
    """The outcome of validation: usable content plus every problem found."""

    entries: list[Entry] = field(default_factory=list)
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    # knowledge/scope.yaml; None when the folder has none (an import then keeps the store's).
    scope: dict[str, object] | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that block an import."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems worth fixing that do not block an import."""
        return [p for p in self.problems if p.level == "warning"]


def is_valid_url(url: object) -> bool:
    """An https URL with a host that has a dot and no spaces."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parts = urlparse(url)
    return parts.scheme == "https" and "." in parts.netloc and not parts.netloc.startswith(".")


class _EntryChecker:
    """Checks one entry file; collects problems against that file."""

    def __init__(self, source: SourceFile, categories: dict, today: date, rules: Rules) -> None:
        self.source = source
        self.categories = categories
        self.today = today
        self.rules = rules
        self.domains = rules.domains
        self.problems: list[Problem] = []

    def add(self, field_path: str, message: str, level: str = "error", rule: str = "") -> None:
        self.problems.append(Problem(
            self.source.path, self.source.line(field_path), field_path, message, level, rule))

    def check(self) -> Entry | None:
        data = self.source.data
        if not isinstance(data, dict):
            self.add("", "the file must be a set of fields (id:, topic:, en:, km: …)")
            return None
        for key in data:
            if key not in ENTRY_FIELDS:
                self.add(str(key), f'unknown field "{key}" (a typo?)')
        self._check_identity(data)
        self._check_links(data)
        self._check_dates(data)
        draft = data.get("status", "published") == "draft"
        for lang in LANGS:
            self._check_text(data, lang, draft)
        try:
            entry = entry_from_dict(data, self.domains.standing_of) if "id" in data else None
        except (TypeError, ValueError, KeyError, AttributeError):
            return None  # already reported field by field
        if entry is not None:
            self._add_findings(entry)
        return entry

    def _add_findings(self, entry: Entry) -> None:
        for finding in entry_findings(entry, self.rules):
            lang, _, part = finding.field.partition(".")
            text = entry.texts.get(lang)
            value = getattr(text, part, "") if text and part in ("title", "answer") else ""
            line = (self.source.text_line(finding.field, value, finding.offset)
                    if finding.offset is not None else self.source.line(finding.field))
            self.problems.append(Problem(self.source.path, line, finding.field, finding.message,
                                         "warning", finding.rule))

    def _check_identity(self, data: dict) -> None:
        entry_id = data.get("id")
        if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
            self.add("id", "required: lower-case letters, digits and single hyphens, "
                     "e.g. evisa-apply")
        elif entry_id != self.source.path.stem:
            self.add("id", f'"{entry_id}" must match the file name "{self.source.path.stem}.yaml"')
        topic = data.get("topic")
        if topic not in TOPIC_SLUGS:
            self.add("topic", f'"{topic}" is not a known topic; choose one of: '
                     + ", ".join(sorted(TOPIC_SLUGS)))
        category = data.get("category")
        folder = self.source.path.parent.name
        if category != folder:
            self.add("category", f'"{category}" must match the folder the file is in ("{folder}")')
        elif self.categories and category not in self.categories:
            self.add("category", f'"{category}" is not listed in categories.yaml')
        status = data.get("status", "published")
        if status not in STATUSES:
            self.add("status", 'must be "published" or "draft"')
        audience = data.get("audience") or []
        if not isinstance(audience, list) or not set(audience) <= AUDIENCES:
            self.add("audience", "must be a list of: " + ", ".join(sorted(AUDIENCES)))

    def _check_links(self, data: dict) -> None:
        url = data.get("official_url")
        if url is not None and not is_valid_url(url):
            self.add("official_url", f'"{url}" is not a well-formed https:// address')
        elif url is not None:
            self._check_domain("official_url", url)
        sources = data.get("sources")
        if not isinstance(sources, list) or not sources:
            self.add("sources", "list at least one web address the facts come from")
        else:
            for i, src in enumerate(sources):
                self._check_source(f"sources.{i}", src)
        related = data.get("related") or []
        if not isinstance(related, list):
            self.add("related", "must be a list of entry ids")
        only_when = data.get("only_when")
        if only_when is not None and (
            not isinstance(only_when, list) or not only_when
            or not all(isinstance(w, str) and w.strip() for w in only_when)
        ):
            self.add("only_when", "must be a list of words (e.g. [korea, seoul, កូរ៉េ]); "
                     "the entry is answered only when a question has one of them")

    def _check_domain(self, where: str, url: str) -> None:
        bad = self.domains.bad_domain(url)
        if bad is not None:
            self.add(where, f'"{url}" is on {bad}, a site a government answer must never send '
                     "a citizen to (knowledge/sources.yaml, list bad); cite the official page, "
                     "or a news report of it", rule="bad-domain")

    def _check_source(self, where: str, src: object) -> None:
        """A source is a plain https URL, or a mapping: url, standing, publisher, date."""
        if not isinstance(src, dict):
            if not is_valid_url(src):
                self.add(where, f'"{src}" is not a well-formed https:// address')
            else:
                self._check_domain(where, str(src))
            return
        for key in src:
            if key not in SOURCE_FIELDS:
                self.add(f"{where}.{key}", f'unknown field "{key}"; a source has url, standing, '
                         "publisher and date")
        url = src.get("url")
        if not is_valid_url(url):
            self.add(f"{where}.url", f'required: a well-formed https:// address, not "{url}"'
                     if url is not None else "required: the page's https:// address")
        else:
            self._check_domain(f"{where}.url", str(url))
        standing = src.get("standing")
        if standing is not None and standing not in STANDINGS:
            self.add(f"{where}.standing", f'"{standing}" is not a standing; use one of: '
                     + ", ".join(STANDINGS) + " (or leave it out to take it from sources.yaml)")
        publisher = src.get("publisher")
        if publisher is not None and (not isinstance(publisher, str) or not publisher.strip()):
            self.add(f"{where}.publisher", "must be the publisher's name, or left out")
        if src.get("date") is not None and not isinstance(src.get("date"), date):
            self.add(f"{where}.date", "must be the page's date as YYYY-MM-DD, or left out")

    def _check_dates(self, data: dict) -> None:
        reviewed = data.get("reviewed")
        if reviewed is None or reviewed == "":
            self.add("reviewed", "required: the date you last checked the facts, as YYYY-MM-DD")
        elif not isinstance(reviewed, date):
            self.add("reviewed", f"date must be YYYY-MM-DD (got {reviewed})")
        elif reviewed > self.today:
            self.add("reviewed", f"{reviewed} is in the future")
        elif reviewed + REVIEW_EVERY < self.today:
            self.add("reviewed", f"last checked {reviewed}: over 6 months ago, check it again",
                     "warning")
        for name in ("expires", "opens", "deadline"):
            value = data.get(name)
            if value is not None and not isinstance(value, date):
                self.add(name, f"date must be YYYY-MM-DD, or left out (got {value})")
        opens, deadline = data.get("opens"), data.get("deadline")
        if isinstance(opens, date) and isinstance(deadline, date) and deadline < opens:
            self.add("deadline", f"{deadline} is before the opening date {opens}")

    def _check_text(self, data: dict, lang: str, draft: bool) -> None:
        text = data.get(lang)
        if text is None:
            if not draft:
                self.add(lang, f"the {lang} version is missing (allowed only with status: draft)")
            return
        if not isinstance(text, dict):
            self.add(lang, "must have title:, answer: and questions:")
            return
        for key in text:
            if key not in TEXT_FIELDS:
                self.add(f"{lang}.{key}", f'unknown field "{key}" (a typo?)')
        for key in ("title", "answer"):
            if not isinstance(text.get(key), str) or not text[key].strip():
                self.add(f"{lang}.{key}", "required and must not be empty")
        answer = text.get("answer")
        if isinstance(answer, str):
            if len(answer) > MAX_ANSWER:
                self.add(f"{lang}.answer", f"{len(answer)} characters; the limit is {MAX_ANSWER}")
            elif len(answer) > ADVISED_ANSWER:
                self.add(f"{lang}.answer", f"{len(answer)} characters; keep answers under "
                         f"{ADVISED_ANSWER} so they fit a phone screen", "warning")
            for problem in check_telegram_html(answer):
                self.add(f"{lang}.answer", f"HTML Telegram would reject: {problem}")
        questions = text.get("questions")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            self.add(f"{lang}.questions", "must be a list of questions")
        elif len(questions) < MIN_QUESTIONS and not draft:
            self.add(f"{lang}.questions", f"only {len(questions)}; write at least {MIN_QUESTIONS} "
                     "ways people ask", "warning")


def _check_table(source: SourceFile, problems: list[Problem]) -> dict:
    data = source.data
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        problems.append(Problem(source.path, 1, "", "must map each name to a set of fields"))
        return {}
    return data


def _check_synonyms(source: SourceFile, problems: list[Problem]) -> dict[str, dict[str, str]]:
    table = _check_table(source, problems)
    clean: dict[str, dict[str, str]] = {}
    for lang, pairs in table.items():
        if lang not in LANGS:
            problems.append(Problem(source.path, source.line(str(lang)), str(lang),
                                    f'"{lang}" is not a language; use km or en'))
            continue
        for term, canonical in pairs.items():
            if not isinstance(term, str) or not isinstance(canonical, str) or not canonical:
                problems.append(Problem(source.path, source.line(f"{lang}.{term}"),
                                        f"{lang}.{term}", "both sides must be text"))
                continue
            clean.setdefault(lang, {})[term] = canonical
    keys = {normalize(term): term for table in clean.values() for term in table}
    for lang, table in clean.items():
        for term, canonical in table.items():
            clash = keys.get(normalize(canonical))
            if clash is not None and normalize(clash) != normalize(term):
                problems.append(Problem(
                    source.path, source.line(f"{lang}.{term}"), f"{lang}.{term}",
                    f'"{canonical}" is itself replaced (by the entry for "{clash}"); a chain '
                    "is hard to follow, so map both straight to the final word",
                ))
    return clean


def _check_scope(source: SourceFile, problems: list[Problem]) -> dict[str, object]:
    """scope.yaml: known list names, each a list of text; `markers` a table of such lists."""
    data = source.data
    if not isinstance(data, dict):
        problems.append(Problem(source.path, 1, "", "must map each list name to a list of words"))
        return {}
    clean: dict[str, object] = {}

    def text_list(where: str, value: object) -> list[str] | None:
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return list(value)
        problems.append(Problem(source.path, source.line(where), where,
                                "must be a list of words or phrases (text, one per item)"))
        return None

    for name, value in data.items():
        if name == "markers":
            markers = value if isinstance(value, dict) else {}
            if not isinstance(value, dict):
                problems.append(Problem(source.path, source.line(name), name,
                                        "must map each marker name to a list of words"))
            kept = {}
            for marker, words in markers.items():
                if marker not in MARKER_LISTS:
                    problems.append(Problem(
                        source.path, source.line(f"markers.{marker}"), f"markers.{marker}",
                        f'"{marker}" is not a marker list; use one of {", ".join(MARKER_LISTS)}'))
                    continue
                items = text_list(f"markers.{marker}", words)
                if items is not None:
                    kept[marker] = items
            clean["markers"] = kept
        elif name in SCOPE_LISTS:
            items = text_list(str(name), value)
            if items is not None:
                clean[name] = items
        else:
            problems.append(Problem(source.path, source.line(str(name)), str(name),
                                    f'"{name}" is not a scope list; use one of '
                                    f'{", ".join(SCOPE_LISTS)} or markers'))
    return clean


def _check_categories(source: SourceFile, problems: list[Problem]) -> dict[str, dict[str, str]]:
    table = _check_table(source, problems)
    for slug, names in table.items():
        missing = [lang for lang in LANGS if not isinstance(names.get(lang), str)]
        if missing:
            problems.append(Problem(source.path, source.line(str(slug)), str(slug),
                                    f"needs a name in {', '.join(missing)}"))
    return table


def validate(files: KnowledgeFiles, today: date | None = None) -> Validated:
    """Check every file and every rule across files (unique ids and questions, related ids)."""
    today = today or date.today()
    result = Validated()
    for extra in (files.synonyms, files.categories, files.scope):
        if extra is not None and extra.error:
            result.problems.append(Problem(extra.path, extra.error_line, "", extra.error))
    rules, rule_problems = load_rules(files.rules)
    result.problems.extend(
        Problem(p.source.path, p.source.error_line if p.source.error else p.source.line(p.field),
                p.field, p.message)
        for p in rule_problems)
    if files.categories and not files.categories.error:
        result.categories = _check_categories(files.categories, result.problems)
    if files.synonyms and not files.synonyms.error:
        result.synonyms = _check_synonyms(files.synonyms, result.problems)
    if files.scope and not files.scope.error:
        result.scope = _check_scope(files.scope, result.problems)
    by_id: dict[str, Path] = {}
    question_owner: dict[str, tuple[str, Path]] = {}
    sources: dict[str, SourceFile] = {}
    # Entries already reported as broken: a `related` naming one of them is not a problem of its
    # own, and listing it would bury the one error that needs fixing under its consequences.
    broken: set[str] = set()
    for source in files.entries:
        if source.error:
            result.problems.append(Problem(source.path, source.error_line, "", source.error))
            broken.add(source.path.stem)
            continue
        checker = _EntryChecker(source, result.categories, today, rules)
        entry = checker.check()
        result.problems.extend(checker.problems)
        if entry is None:
            data = source.data if isinstance(source.data, dict) else {}
            broken.update({source.path.stem, str(data.get("id", ""))})
            continue
        if entry.id in by_id:
            result.problems.append(Problem(source.path, source.line("id"), "id",
                                           f'"{entry.id}" is already used by {by_id[entry.id]}'))
            continue
        by_id[entry.id] = source.path
        sources[entry.id] = source
        result.entries.append(entry)
        for lang, text in entry.texts.items():
            for i, question in enumerate(text.questions):
                key = normalize(question.text)
                owner = question_owner.get(key)
                if owner and owner[0] != entry.id:
                    result.problems.append(Problem(
                        source.path, source.line(f"{lang}.questions.{i}"), f"{lang}.questions.{i}",
                        f'"{question.text}" is also a question of {owner[0]} ({owner[1]}); '
                        "one question can lead to only one answer",
                    ))
                question_owner.setdefault(key, (entry.id, source.path))
    for entry in result.entries:
        source = sources[entry.id]
        for i, rel in enumerate(entry.related):
            if (rel not in by_id and rel not in broken) or rel == entry.id:
                result.problems.append(Problem(
                    source.path, source.line(f"related.{i}"), f"related.{i}",
                    f'"{rel}" is not the id of another entry',
                ))
    return result
