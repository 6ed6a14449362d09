"""Checks a citizen's trust depends on: where the sources stand, dated facts, one Khmer style.

Their data is kept by editors in the knowledge folder (sources.yaml, dated-words.yaml,
khmer-style.yaml); a folder without one of those files skips that check. Every finding is a
warning except a source on a bad domain, which `bot.kb.validate` reports as an error while
reading the sources. Pure: entries and parsed files in, findings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bot.kb.files import RuleFiles, SourceFile
from bot.kb.khmer_style import KhmerStyle, check_khmer, kept_spans, read_style
from bot.kb.sources import DomainLists, read_domain_lists
from bot.model import Entry

TRUSTED = frozenset({"official", "press"})
# Paths that are still a home page: the site's root in one language.
HOME_PATHS = frozenset({"", "en", "km", "kh", "khm", "eng", "home", "index.html", "index.php"})
_YEAR = re.compile(r"(?<![0-9០-៩])(?:(?:19|20)[0-9]{2}|(?:១៩|២០)[០-៩]{2})(?![0-9០-៩])")
DATED_SECTIONS = ("with_a_date", "alone", "months")


@dataclass(frozen=True)
class Rules:
    """What the rule files say, ready to apply."""

    domains: DomainLists = field(default_factory=DomainLists)
    style: KhmerStyle | None = None  # None: no khmer-style.yaml, no style check
    dated: DatedWords | None = None  # None: no dated-words.yaml


@dataclass(frozen=True)
class DatedWords:
    """dated-words.yaml: per section (with_a_date, alone, months), per language, the words."""

    sections: dict[str, dict[str, tuple[str, ...]]]

    def words(self, section: str, lang: str) -> tuple[str, ...]:
        """The words of one section in one language."""
        return self.sections.get(section, {}).get(lang, ())


@dataclass(frozen=True)
class Finding:
    """One warning about an entry: the field, where in its text (or None), the rule, the fix."""

    field: str
    offset: int | None
    rule: str
    message: str


@dataclass(frozen=True)
class RuleFileProblem:
    """Something wrong in a rule file, at one of its field paths."""

    source: SourceFile
    field: str
    message: str


def _read_dated(source: SourceFile) -> tuple[DatedWords, list[RuleFileProblem]]:
    data = source.data or {}
    sections: dict[str, dict[str, tuple[str, ...]]] = {}
    problems = []
    for name, by_lang in (data.items() if isinstance(data, dict) else [("", None)]):
        if name not in DATED_SECTIONS or not isinstance(by_lang, dict) or not all(
            isinstance(words, list) and all(isinstance(w, str) and w.strip() for w in words)
            for words in by_lang.values()
        ):
            problems.append(RuleFileProblem(
                source, str(name), "sections are " + ", ".join(DATED_SECTIONS)
                + ", each listing words per language: en: […], km: […]"))
            continue
        sections[name] = {str(lang): tuple(words) for lang, words in by_lang.items()}
    return DatedWords(sections), problems


def load_rules(files: RuleFiles) -> tuple[Rules, list[RuleFileProblem]]:
    """The rules from the folder's rule files, and what is wrong in those files."""
    problems = [RuleFileProblem(f, "", f.error) for f in files.present() if f.error]
    usable = {name: f for name, f in (("domains", files.domains), ("style", files.style),
                                      ("dated", files.dated)) if f is not None and not f.error}
    domains, domain_problems = read_domain_lists(usable.get("domains"))
    problems += [RuleFileProblem(usable["domains"], p.field, p.message) for p in domain_problems]
    style = None
    if "style" in usable:
        style, style_problems = read_style(usable["style"].data)
        problems += [RuleFileProblem(usable["style"], p.field, p.message) for p in style_problems]
    dated = None
    if "dated" in usable:
        dated, dated_problems = _read_dated(usable["dated"])
        problems += dated_problems
    return Rules(domains, style, dated), problems


def is_home_page(url: str) -> bool:
    """The root of a site (in one language, e.g. /en/), not a page inside it."""
    parts = urlparse(url)
    segments = [s for s in parts.path.split("/") if s]
    return not parts.query and not parts.fragment and (
        not segments or (len(segments) == 1 and segments[0].lower() in HOME_PATHS))


def _source_findings(entry: Entry, judged: bool) -> list[Finding]:
    """`judged`: the folder has domain lists, so a plain URL's standing means something."""
    findings = []
    if judged and entry.sources and not any(s.standing in TRUSTED for s in entry.sources):
        findings.append(Finding(
            "sources", None, "no-trusted-source",
            "no official or press source: cite the official page, or a news report of it "
            "(a source's standing comes from knowledge/sources.yaml, or its own standing:)"))
    if entry.official_url and not is_home_page(entry.official_url):
        findings.append(Finding(
            "official_url", None, "official-url-not-home",
            f'"{entry.official_url}" is not a home page: give the home page of the service or '
            "institution (e.g. https://www.evisa.gov.kh/), and list this page under sources"))
    return findings


def _finder(words: tuple[str, ...], lang: str) -> re.Pattern | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    if lang == "en":
        return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE)
    return re.compile(alternatives)


def dated_mention(text: str, lang: str, dated: DatedWords) -> tuple[int, str] | None:
    """Where and which is the first dated word of `text`: one of the "alone" words, or a
    "with_a_date" word on a line that also names a year or a month (outside web addresses)."""
    alone = _finder(dated.words("alone", lang), lang)
    with_date = _finder(dated.words("with_a_date", lang), lang)
    months = _finder(dated.words("months", lang), lang)
    offset = 0
    for line in text.split("\n"):
        kept = kept_spans(line)
        has_date = any(not any(a <= m.start() < b for a, b in kept)
                       for finder in (_YEAR, months) if finder for m in finder.finditer(line))
        found = list(alone.finditer(line)) if alone else []
        if has_date and with_date:
            found += list(with_date.finditer(line))
        if found:
            first = min(found, key=lambda m: m.start())
            return offset + first.start(), first.group()
        offset += len(line) + 1
    return None


def _dated_findings(entry: Entry, dated: DatedWords) -> list[Finding]:
    if entry.expires is not None or entry.deadline is not None:
        return []
    for lang in ("en", "km"):
        text = entry.texts.get(lang)
        mention = dated_mention(text.answer, lang, dated) if text else None
        if mention:
            return [Finding(
                f"{lang}.answer", mention[0], "dated-no-expiry",
                f'mentions "{mention[1]}", a dated fact: add expires: (the day to check it '
                "again) or deadline:, so that govbot kb stale flags it once it has passed")]
    return []


def _style_findings(entry: Entry, style: KhmerStyle) -> list[Finding]:
    text = entry.texts.get("km")
    if text is None:
        return []
    return [
        Finding(f"km.{part}", issue.offset, f"khmer-{issue.rule}", issue.message)
        for part, value in (("title", text.title), ("answer", text.answer))
        for issue in check_khmer(value, style)
    ]


def entry_findings(entry: Entry, rules: Rules) -> list[Finding]:
    """Every warning the trust rules have about one entry."""
    findings = _source_findings(entry, bool(rules.domains.domains))
    if rules.dated is not None:
        findings += _dated_findings(entry, rules.dated)
    if rules.style is not None:
        findings += _style_findings(entry, rules.style)
    return findings
