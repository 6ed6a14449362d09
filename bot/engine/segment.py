"""Words from normalised text: Khmer segmentation, English tokens, stopwords and synonyms.

Khmer is written without spaces between words, so fuzzy matching on raw strings compares
unrelated syllables; khmercut (CRF, F1 0.986 on our measurements) recovers the words. Stopwords
are the question scaffolding that every FAQ shares ("how do I", "តើខ្ញុំត្រូវ…យ៉ាងដូចម្តេច");
left in, they make every question look like every other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from khmercut import tokenize as khmer_tokenize

from bot.engine.normalize import is_khmer_char, normalize, starts_syllable

# Question scaffolding, not content. Written as people type them; `STOPWORDS` below holds them
# normalised, so spelling variants of a stopword are dropped too.
_STOPWORD_TEXT: dict[str, str] = {
    "en": (
        "a an the i im me my mine we our us you your u he she his her they them their it "
        "its is are am was were be been being do does did doing can could would should "
        "will shall may might must to of for in on at by with from about and or but "
        "if so this that these those there here please pls plz hey sir madam want wanna "
        "need like know tell just some any how what whats whom why "
        "also have has had get got getting "
        # Talk around the question: "is it still…", "really", "a blog said".
        "now still really said saying since only even already then than thing stuff "
        "cant dont didnt doesnt isnt wont "
        # Greetings and thanks around a question ("hi, how do I …", "thanks, and the fee?"):
        # a message that is only these still meets the greeting entries (see `words`).
        "hi hii hello helo dear thanks thank thx ok okay good morning afternoon evening "
        "bye goodbye later night all up lot very helpful "
        # Someone asked for ("my friend needs…", "my boss told me…"): who asks picks no entry.
        # Close family stays (a child, wife or parent picks civil-registration entries);
        # siblings and cousins never do.
        "friend buddy colleague boss cousin brother sister boyfriend girlfriend "
    ),
    "km": (
        "តើ ខ្ញុំ ត្រូវ ដែរ ទេ បាន អត់ ចង់ ការ សេចក្តី យ៉ាង ម៉េច ដូចម្តេច ដោយ "
        "របៀប ណា នៅ សូម បង ចាស បាទ គឺ នេះ នោះ ហ្នឹង ឬ និង ដែល ផង ហើយ "
        "អី អ្វី ខ្លះ ពីរបៀប យ៉ាងម៉េច យ៉ាងដូចម្តេច ជួយ ប្រាប់ តើខ្ញុំ "
        "ខ្ញុំបាទ នាងខ្ញុំ "
        "សួស្តី ជម្រាបសួរ អរគុណ អរុណសួស្តី ទិវាសួស្តី សាយណ្ហសួស្តី ច្រើន "
        # The words English drops as can, have, not, know, that, is, of, really, via, they, in.
        "អាច មាន មិន ដឹង ថា ជា របស់ មែន ណាស់ តាម គេ ក្នុង តែ ទើប សោះ ឥឡូវ វិញ ត្រូវការ ៗ "
        "មិត្ត មិត្តភក្តិ មិត្តភ័ក្ដិ មិត្តរួមការងារ "
    ),
}


def _stem_en(token: str) -> str:
    """Fold plural -s so that "fees" meets "fee"; deliberately crude, and applied to both sides."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# Nominalising prefixes: "ការស្នើសុំ" (the applying) and "ស្នើសុំ" (apply) are the same request.
# The segmenter sometimes keeps them attached, so they are split off and treated as stopwords.
_KHMER_PREFIXES = ("ការ", "សេចក្តី")
# Words that merely start like a prefix: ការពារ (protect), ការងារ (work), ការិយាល័យ (office).
_NOT_PREFIXED = frozenset({"ការពារ", "ការងារ", "ការិយាល័យ", "ការណ៍", "ការប្រាក់"})


def _split_prefix(token: str) -> list[str]:
    if token in _NOT_PREFIXED:
        return [token]
    for prefix in _KHMER_PREFIXES:
        rest = token[len(prefix):]
        # The rest must start a new syllable (a consonant): "ការិយាល័យ" (office) is one word.
        if token.startswith(prefix) and len(rest) > 1 and "\u1780" <= rest[0] <= "\u17a2":
            return [prefix, rest]
    return [token]


# An amount ("$45", "US$30", "45$") says "this is about a price", whatever the figure: as itself
# it would be a word no entry uses, counting against every entry.
_AMOUNT = re.compile(r"^(?:us|usd)?\$[0-9][0-9.,]*\+?$|^[0-9][0-9.,]*\$$")
_MONEY = "dollar"
_SCRIPT_RUN = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+|[^\s\u1780-\u17ff\u19e0-\u19ff]+")


def split_words(normalized: str) -> list[str]:
    """Words of already-normalised text: Khmer runs segmented, Latin runs split on spaces."""
    words: list[str] = []
    # Khmer and Latin or digits typed together ("ប្រហែល២ឆ្នាំ", "ធ្វើpassport") are separate words.
    for chunk in _SCRIPT_RUN.findall(normalized):
        if is_khmer_char(chunk[0]):
            for token in khmer_tokenize(chunk):
                if token.strip() and token != "\u200b":
                    words.extend(_split_prefix(token))
        else:
            words.append(_MONEY if _AMOUNT.match(chunk) else _stem_en(chunk))
    return words


STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(
        form
        for word in text.split()
        for form in (normalize(word), *split_words(normalize(word)))
    )
    for lang, text in _STOPWORD_TEXT.items()
}


def _lang_of(word: str) -> str:
    return "km" if is_khmer_char(word[0]) else "en"


_OUTLINE_DROPPED = re.compile(r"[aeiouywh]")
_REPEATED = re.compile(r"(.)\1+")
# Outlines shorter than this say too little: "bt" is បាត់ (lost) and also "but" or "bot", and
# three letters still let English words through ("promo" and the listed "prom", ប័ណ្ណបើកបរ).
_MIN_OUTLINE = 4


def romanised_outline(word: str) -> str:
    """The consonant outline of a romanised Khmer word: its first letter, then its consonants
    without "h", doubled letters once ("siovphov", "seavphov" → "svpv"; "lekhet", "likhit" →
    "lkt"). People spell the vowels and the aspiration of Khmer in Latin letters in many ways;
    the consonants they keep."""
    word = word.lower()
    return _REPEATED.sub(r"\1", word[:1] + _OUTLINE_DROPPED.sub("", word[1:]))


class Analyzer:
    """Text → content words, with synonyms mapped to the canonical terms editors chose.

    Synonym keys and values are analysed with the same normalisation and segmentation as the text
    they will meet, so an editor can write them as people type them. Keys are looked up by their
    letters with the word breaks removed: the segmenter may cut "ប៉ាស្ព័រ" into two words in one
    sentence and keep it whole in another, and a key must match both.
    """

    # Replacements are applied until nothing changes, so that a phrase key still matches after
    # one of its words was itself replaced ("ទិដ្ឋាការ អេឡិចត្រូនិច" → "…អេឡិចត្រូនិក" → e-Visa).
    # The bound only guards against a cycle the validator did not see.
    _MAX_PASSES = 4

    def __init__(self, synonyms: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._longest = 0
        # Romanised spellings by outline, for spellings no editor listed: from one-word keys
        # only (a phrase's letters run together spell no word), and an outline two different
        # words share ("brk": បើក, ប្រកាស) is left out.
        outlines: dict[str, set[tuple[str, ...]]] = {}
        for table in (synonyms or {}).values():
            for term, canonical in table.items():
                key = split_words(normalize(term))
                value = tuple(split_words(normalize(canonical)))
                if key and value and tuple(key) != value:
                    self._phrases["".join(key)] = value
                    # A key may come as more words than it was written in: "ប៉ាស្ព័រ" → ប៉ា ស្ព័រ.
                    self._longest = max(self._longest, len("".join(key)))
                    if len(key) == 1 and key[0].isascii() and key[0].isalpha() and \
                            not value[0].isascii():
                        outline = romanised_outline(key[0])
                        if len(outline) >= _MIN_OUTLINE:
                            outlines.setdefault(outline, set()).add(value)
        self._outlines = {k: next(iter(v)) for k, v in outlines.items() if len(v) == 1}

    def _replace_once(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            # The longest run of words starting here whose letters spell a key.
            best, size, letters = None, 0, ""
            for j in range(i, len(words)):
                letters += words[j]
                if len(letters) > self._longest:
                    break
                found = self._phrases.get(letters)
                if found is not None:
                    best, size = found, j - i + 1
            if best is None:
                out.extend(self._replace_prefix(words[i]))
                i += 1
            else:
                out.extend(best)
                i += size
        return out

    def _replace_prefix(self, word: str) -> list[str]:
        """A Khmer word that starts with a key, cut where a new syllable starts ("ជំរាបសួរ")."""
        if not is_khmer_char(word[0]):
            return [word]
        for cut in range(min(len(word) - 1, self._longest), 1, -1):
            found = self._phrases.get(word[:cut])
            # A misspelling key can be the start of the right spelling ("គេហទំព័" of "គេហទំព័រ").
            if (found is not None and starts_syllable(word, cut)
                    and not word.startswith("".join(found))):
                return [*found, word[cut:]]
        return [word]

    def romanised(self, word: str) -> tuple[str, ...] | None:
        """The Khmer words a romanised spelling no synonym lists stands for, by its outline
        (`romanised_outline`); None when no listed spelling shares it."""
        if not word.isascii() or not word.isalpha():
            return None
        return self._outlines.get(romanised_outline(word))

    def _apply_synonyms(self, words: list[str]) -> list[str]:
        for _ in range(self._MAX_PASSES if self._phrases else 0):
            replaced = self._replace_once(words)
            if replaced == words:
                break
            words = replaced
        return words

    def words(self, text: str) -> list[str]:
        """Content words of any text, in order; all words when every one is a stopword.

        Keeping the stopwords in that case means "who are you" still has something to match.
        """
        return self.read(text)[0]

    def read(self, text: str) -> tuple[list[str], bool]:
        """`words`, and whether the text reads as Khmer: at least half its words are Khmer once
        synonyms are applied, question words included. Romanised Khmer reads as Khmer ("ayu 15
        chnam trov tver atasanhanh": its scaffolding, ត្រូវ ធ្វើ, is listed) though its content
        words may not be: the matcher then reads an unlisted spelling by its outline."""
        words = self._apply_synonyms(split_words(normalize(text)))
        content = [w for w in words if w not in STOPWORDS[_lang_of(w)]]
        letters = [w for w in words if not w.isdigit()]
        khmer = 2 * sum(not w.isascii() for w in letters) >= len(letters) > 0
        return content or words, khmer


def char_ngrams(words: Iterable[str], n: int = 3) -> list[str]:
    """Character n-grams of the words run together: robust to segmentation and spelling slips."""
    joined = "".join(words)
    if len(joined) <= n:
        return [joined] if joined else []
    return [joined[i : i + n] for i in range(len(joined) - n + 1)]
