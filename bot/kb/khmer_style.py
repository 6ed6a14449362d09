"""One Khmer style, checked: the rules' data is in knowledge/khmer-style.yaml, the mechanism here.

A reader trusts a government answer that reads like one: the reader addressed as លោកអ្នក, Khmer
digits in prose, one spelling for each word, the institutions' own names. Editors extend the
word lists; this module only finds where a Khmer text departs from them. It is pure (text in,
findings out) so that the knowledge validator and the test of the bot's own strings in
locales/km apply exactly the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.i18n import khmer_digits

ZWSP = "\u200b"  # zero-width space: Khmer writers put it between words

# Where ASCII digits and Latin letters stay as they are: markup and its attributes (href),
# <code> and <pre>, web addresses (with or without https://), e-mail addresses, format fields
# such as {count}, and phone numbers (a run starting with + or 0 with at least 8 digits).
_KEPT = re.compile(
    r"<(code|pre)>.*?</\1>"
    r"|<[^>]*>"
    r"|https?://[^\s<>\"]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w.])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?:\[?\.\]?[A-Za-z]{2,})+(?:/[^\s<>]*)?"
    r"|\{[^{}]*\}",
    re.S,
)
_PHONE = re.compile(r"(?<![\w+])(?:\+|0)[0-9][0-9 \-]*[0-9]")
_ASCII_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_LATIN_WITH_DIGITS = re.compile(r"[A-Za-z]+[0-9]+[A-Za-z0-9]*|[0-9]+[A-Za-z]+[A-Za-z0-9]*")
MIN_PHONE_DIGITS = 8

RULES: dict[str, str] = {  # rule → what the editor is told to do, {write} and {avoid} filled in
    "spelling": "one spelling: write {write}, not {avoid}",
    "word": "in answers write {write}, not {avoid}",
    "official-name": "the official name is {write}, not {avoid}",
    "misspelling": "misspelt: write {write}, not {avoid}",
}
_SECTIONS = {"spellings": "spelling", "words": "word", "names": "official-name",
             "misspellings": "misspelling"}


@dataclass(frozen=True)
class StyleIssue:
    """One place a Khmer text breaks a style rule: where (offset), which rule, and the fix."""

    offset: int
    rule: str  # spelling, word, official-name, misspelling, digits, you, licence-class
    message: str


@dataclass(frozen=True)
class KhmerStyle:
    """The rules of knowledge/khmer-style.yaml, ready to apply."""

    replacements: tuple[tuple[str, str, str], ...] = ()  # (rule, avoid, write), longest first
    polite_you: str = "លោកអ្នក"
    bare_you: str = "អ្នក"
    you_words: tuple[str, ...] = ()
    licence_about: str = ""
    licence_letters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StyleProblem:
    """Something wrong in khmer-style.yaml, at a field path of that file."""

    field: str
    message: str


def read_style(data: object) -> tuple[KhmerStyle, list[StyleProblem]]:
    """The rules from a parsed khmer-style.yaml (no rules for None), and the file's problems."""
    if data is None:
        return KhmerStyle(), []
    if not isinstance(data, dict):
        return KhmerStyle(), [StyleProblem("", "must have the sections " + ", ".join(
            [*_SECTIONS, "you", "licence_classes"]))]
    problems: list[StyleProblem] = []
    replacements = []
    for section, rule in _SECTIONS.items():
        pairs = data.get(section) or {}
        if not isinstance(pairs, dict):
            problems.append(StyleProblem(section, "must map each form to avoid to the one to "
                                         "write, e.g.  ទូរស័ព្ទ: ទូរសព្ទ"))
            continue
        for avoid, write in pairs.items():
            if not isinstance(avoid, str) or not isinstance(write, str) or not avoid.strip() \
                    or not write.strip() or avoid == write:
                problems.append(StyleProblem(f"{section}.{avoid}",
                                             "both sides must be text, and differ"))
                continue
            replacements.append((rule, avoid, write))
    for key in data:
        if key not in (*_SECTIONS, "you", "licence_classes"):
            problems.append(StyleProblem(str(key), f'unknown section "{key}"'))
    you = data.get("you") or {}
    words = you.get("words") or [] if isinstance(you, dict) else None
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        problems.append(StyleProblem("you", "needs polite:, bare: and a list of words:"))
        you, words = {}, []
    licence = data.get("licence_classes") or {}
    letters = licence.get("letters") or {} if isinstance(licence, dict) else None
    if not isinstance(letters, dict):
        problems.append(StyleProblem("licence_classes", "needs about: and letters: {A: ក, …}"))
        licence, letters = {}, {}
    default = KhmerStyle()
    style = KhmerStyle(
        replacements=tuple(sorted(replacements, key=lambda r: -len(r[1]))),
        polite_you=str(you.get("polite") or default.polite_you),
        bare_you=str(you.get("bare") or default.bare_you),
        you_words=tuple(words),
        licence_about=str(licence.get("about") or ""),
        licence_letters={str(k): str(v) for k, v in letters.items()},
    )
    return style, problems


def kept_spans(text: str) -> list[tuple[int, int]]:
    """Spans where Latin text and ASCII digits belong: markup, addresses, code, phone numbers."""
    spans = [m.span() for m in _KEPT.finditer(text)]
    spans += [m.span() for m in _PHONE.finditer(text)
              if sum(c.isdigit() for c in m.group()) >= MIN_PHONE_DIGITS]
    return sorted(spans)


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in spans)


def _starts_with(text: str, pos: int, word: str) -> bool:
    """`text` has `word` at `pos`, ignoring zero-width spaces inside it."""
    for char in word:
        while pos < len(text) and text[pos] == ZWSP:
            pos += 1
        if pos >= len(text) or text[pos] != char:
            return False
        pos += 1
    return True


def _replacement_issues(text: str, style: KhmerStyle) -> list[StyleIssue]:
    issues = []
    taken: list[tuple[int, int]] = []
    for rule, avoid, write in style.replacements:
        rights = [(m.start(), m.start() + len(write)) for m in re.finditer(re.escape(write), text)]
        for match in re.finditer(re.escape(avoid), text):
            if _inside(match.start(), rights) or _inside(match.start(), taken):
                continue
            taken.append(match.span())
            issues.append(StyleIssue(match.start(), rule,
                                     RULES[rule].format(write=write, avoid=avoid)))
    return issues


def _digit_issues(text: str, kept: list[tuple[int, int]]) -> list[StyleIssue]:
    latin = [m.span() for m in _LATIN_WITH_DIGITS.finditer(text)]
    return [
        StyleIssue(m.start(), "digits",
                   f"ASCII digits {m.group()}: write {khmer_digits(m.group())} "
                   "(Khmer digits in Khmer text; ASCII digits stay only in web addresses, "
                   "<code>, e-mail addresses and phone numbers)")
        for m in _ASCII_NUMBER.finditer(text)
        if not _inside(m.start(), kept) and not _inside(m.start(), latin)
    ]


def _you_issues(text: str, style: KhmerStyle) -> list[StyleIssue]:
    issues = []
    bare, polite = style.bare_you, style.polite_you
    lead = polite[: len(polite) - len(bare)] if polite.endswith(bare) else None
    for match in re.finditer(re.escape(bare), text):
        at = match.start()
        if lead and text[:at].replace(ZWSP, "").endswith(lead):
            continue
        if any(_starts_with(text, at, word) for word in style.you_words):
            continue
        context = text[at:at + 16].split("\n")[0]
        issues.append(StyleIssue(
            at, "you",
            f'address the reader as {polite}, not {bare} ("{context}…"); if this {bare} starts '
            "a word such as អ្នកដំណើរ, add that word to knowledge/khmer-style.yaml (you: words)"))
    return issues


def _licence_issues(text: str, style: KhmerStyle, kept: list[tuple[int, int]]) -> list[StyleIssue]:
    if not style.licence_letters or style.licence_about not in text:
        return []
    letters = "".join(re.escape(k) for k in style.licence_letters)
    pattern = re.compile(rf"(?<![A-Za-z0-9])([{letters}])([0-9]?)(?![A-Za-z0-9])")
    return [
        StyleIssue(m.start(), "licence-class",
                   f"licence class {m.group()}: write "
                   f"{style.licence_letters[m.group(1)]}{khmer_digits(m.group(2))} "
                   "(Cambodian licence classes are written ក ខ គ ឃ ង in Khmer)")
        for m in pattern.finditer(text) if not _inside(m.start(), kept)
    ]


def check_khmer(text: str, style: KhmerStyle) -> list[StyleIssue]:
    """Every place `text` (a Khmer title, answer or bot string) breaks the style, in order."""
    kept = kept_spans(text)
    issues = [i for i in _replacement_issues(text, style) if not _inside(i.offset, kept)]
    issues += _digit_issues(text, kept)
    issues += [i for i in _you_issues(text, style) if not _inside(i.offset, kept)]
    issues += _licence_issues(text, style, kept)
    return sorted(issues, key=lambda i: (i.offset, i.rule))
