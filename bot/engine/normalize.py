"""Text normalisation for matching: one canonical spelling for text that looks the same.

Khmer can be typed in several code-point orders that render identically, web-copied text
carries invisible characters, and people mix Khmer and Latin digits. Without folding these,
identical-looking questions score far apart (see docs/khmer.md). Every step here is
pure and idempotent.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible characters removed before cluster reordering: a reorderer that saw ZWJ could take it
# for a coeng marker and corrupt the cluster.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u17b4\u17b5"), None
)

COENG = "\u17d2"
_RO = "\u179a"
_SHIFTERS = "\u17c9\u17ca"
_NIKAHIT_GROUP = "\u17c6\u17c7\u17c8"  # nikahit, reahmuk, yuukaleapintu: written after the vowel

# Independent-vowel and coeng folds: variant spellings in everyday use.
_FOLDS = [
    ("\u17d2\u178a", "\u17d2\u178f"),  # coeng-Da → coeng-Ta
    ("\u17b2", "\u17b1"),  # ឲ → ឱ
    ("\u17a3", "\u17a2"),  # deprecated independent vowel → អ
    ("\u17a4", "\u17a2\u17b6"),  # deprecated independent vowel → អា
    # Kakabat (៎) only marks a particle as exclaimed ("ណា៎", "ចា៎"): without it the particle is
    # the plain one, a stopword, so "អរគុណច្រើនណា៎" is thanks alone.
    ("\u17ce", ""),
]

# Split vowels typed as two code points.
_VOWEL_MERGES = {"\u17c1\u17b8": "\u17be", "\u17c1\u17b6": "\u17c4"}

# The same mark typed twice (ាា) renders as one; collapse runs outside clusters too.
_REPEATED_MARK_RE = re.compile(r"([\u17b6-\u17d3\u17dd])\1+")

_KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")

# Khmer punctuation that separates words (ៗ, the repetition mark, is letter-like and kept).
_KHMER_PUNCT = "\u17d4\u17d5\u17d6\u17d8\u17d9\u17da\u17db\u00ab\u00bb"

# The longest question matched, in characters. The cut is made before NFKC and again after it:
# NFKC can expand one character 18-fold (U+FDFA), and every later step, and the matching, costs
# in proportion to the length, so no question may cost more than a normal long one.
MAX_CHARS = 1000

_SPACE_RE = re.compile(r"\s+")
# A space between two Khmer characters: Khmer does not separate words with spaces, so a space
# there is a phrase pause and would only hide words from the segmenter.
_KHMER_SPACE_RE = re.compile(r"(?<=[\u1780-\u17ff])\s+(?=[\u1780-\u17ff])")
# A hyphen inside a Latin word ("e-visa", "e-tax") joins rather than splits it, so that "e-visa",
# "e‑Visa" and "evisa" are one token; an apostrophe ("what's") likewise.
# Between two digits a hyphen separates ("2021-2035", "023-224-972") and is left alone.
_JOINER_RE = re.compile(r"(?:(?<=[a-z])[-‐‑–'’](?=[a-z0-9])|(?<=[0-9])[-‐‑–'’](?=[a-z]))")


# Latin letters with accents ("identité", "Bông": romanised Khmer written with French or
# Vietnamese habits): the letter without its accent.
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")


def _without_accent(match: re.Match[str]) -> str:
    letter = unicodedata.normalize("NFD", match.group())
    return "".join(ch for ch in letter if not unicodedata.combining(ch))


# A Latin letter typed three times or more ("hiii", "goood"): no English word has that, and
# people stretch words in chat. Kept twice, as in "good", "free", "see": the spelling
# corrector and the synonyms finish the rest ("hii").
_STRETCHED = re.compile(r"([a-z])\1{2,}")


def is_khmer_char(ch: str) -> bool:
    """Khmer block and Khmer Symbols block."""
    return "\u1780" <= ch <= "\u17ff" or "\u19e0" <= ch <= "\u19ff"


def is_khmer_base(ch: str) -> bool:
    """A consonant or independent vowel: the letter a Khmer syllable starts with."""
    return "\u1780" <= ch <= "\u17b3"


def starts_syllable(word: str, at: int) -> bool:
    """Whether a Khmer word can be cut before index `at`: a new letter, not a subscript."""
    return is_khmer_base(word[at]) and word[at - 1] != COENG


def _is_mark(ch: str) -> bool:
    return ("\u17b6" <= ch <= "\u17d1") or ch in ("\u17d3", "\u17dd")


def _mark_rank(mark: str) -> int:
    """Canonical position of a mark within a cluster, after the base and its subscripts."""
    if mark == "\u17cc":  # robat
        return 0
    if mark in _SHIFTERS:
        return 1
    if "\u17b6" <= mark <= "\u17c5":  # dependent vowels
        return 2
    if mark in _NIKAHIT_GROUP:
        return 3
    return 4


def _reorder_cluster(base: str, subscripts: list[str], marks: list[str]) -> str:
    # Coeng-Ro is always the last subscript; other subscripts keep their typed order.
    subscripts = [s for s in subscripts if s[1] != _RO] + [s for s in subscripts if s[1] == _RO]
    ordered = sorted(marks, key=_mark_rank)  # stable: equal ranks keep typed order
    deduped: list[str] = []
    for m in ordered:
        if not deduped or deduped[-1] != m:
            deduped.append(m)
    text = "".join(deduped)
    for split, whole in _VOWEL_MERGES.items():
        text = text.replace(split, whole)
    return base + "".join(subscripts) + text


def reorder_khmer(text: str) -> str:
    """Put every Khmer cluster in the canonical code-point order (after SIL's khnormal)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if not is_khmer_base(ch):
            out.append(ch)
            i += 1
            continue
        subscripts: list[str] = []
        marks: list[str] = []
        i += 1
        while i < n:
            c = text[i]
            if c == COENG and i + 1 < n and "\u1780" <= text[i + 1] <= "\u17a2":
                subscripts.append(text[i : i + 2])
                i += 2
            elif _is_mark(c):
                marks.append(c)
                i += 1
            else:
                break
        out.append(_reorder_cluster(ch, subscripts, marks))
    return "".join(out)


def fold_khmer(text: str) -> str:
    """Fold Khmer spelling variants and digits to one form."""
    for src, dst in _FOLDS:
        text = text.replace(src, dst)
    return text.translate(_KHMER_DIGITS)


def _punct_to_space(text: str) -> str:
    chars = []
    for ch in text:
        if ch in _KHMER_PUNCT:
            chars.append(" ")
        elif ch == "\u17d7" or ch.isalnum() or is_khmer_char(ch) or ch == "$":
            chars.append(ch)
        else:
            cat = unicodedata.category(ch)
            # Marks (Mn/Mc) stay with their letters; everything else (punctuation, symbols,
            # emoji, controls, format characters) separates words.
            chars.append(ch if cat.startswith("M") else " ")
    return "".join(chars)


def normalize(text: str) -> str:
    """The canonical matching form of any user or knowledge-base text.

    Steps follow docs/khmer.md in order: NFKC; drop invisible characters; reorder Khmer
    clusters; fold variant spellings and digits; casefold and drop Latin accents; join
    hyphenated Latin words, then write a letter typed three times or more twice ("goood");
    punctuation to space; collapse spaces
    (and drop spaces inside Khmer runs). At most `MAX_CHARS` characters are kept.
    """
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS])[:MAX_CHARS]
    text = text.translate(_INVISIBLE)
    text = reorder_khmer(text)
    text = _REPEATED_MARK_RE.sub(r"\1", text)
    text = fold_khmer(text)
    text = _LATIN_ACCENTED.sub(_without_accent, text.casefold())
    # After the joiners, which can bring three letters together ("shell-less").
    text = _STRETCHED.sub(r"\1\1", _JOINER_RE.sub("", text))
    text = _punct_to_space(text)
    text = _SPACE_RE.sub(" ", text).strip()
    return _KHMER_SPACE_RE.sub("", text)


def detect_language(text: str) -> str:
    """`km` when the text has any Khmer letter, else `en`.

    Any Khmer at all means the person reads Khmer: mixed text ("ធ្វើ e-Visa") is Khmer speech with
    an English service name, and is matched against both languages anyway.
    """
    return "km" if any(is_khmer_char(ch) for ch in text) else "en"

