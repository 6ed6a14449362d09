"""Words from normalised text: Khmer segmentation, English tokens, stopwords and synonyms.

Khmer is written without spaces between words, so fuzzy matching on raw strings compares
unrelated syllables; khmercut (CRF, F1 0.986 on our measurements) recovers the words. Stopwords
are the question scaffolding that every FAQ shares ("how do I", "តើខ្ញុំត្រូវ…យ៉ាងដូចម្តេច");
left in, they make every question look like every other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from khmercut import tokenize as khmer_tokenize
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

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
        "របៀប ណា ណះ នៅ សូម បង ចាស ចា ចាះ បាទ គឺ នេះ នោះ ហ្នឹង ឬ និង ដែល ផង ហើយ "
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


# Of the stopwords, those that greet or thank, and those that ask or want something: a message of
# stopwords alone is small talk when it greets or thanks and asks nothing ("thanks a lot, that was
# really helpful"), and not when it asks ("ok but how", "is it ok").
_GREETING_TEXT: dict[str, str] = {
    "en": "hi hii hello helo dear thanks thank thx bye goodbye morning afternoon evening night",
    "km": "សួស្តី ជម្រាបសួរ អរគុណ អរុណសួស្តី ទិវាសួស្តី សាយណ្ហសួស្តី",
}
# Words that go with thanks and goodbyes and ask for nothing ("thank you so much for your help",
# "cool thanks, have a nice day", "អរគុណច្រើនបង ជួយខ្ញុំបានច្រើនមែនទែន", "akun nas"): small talk may
# hold them besides stopwords. Not stopwords themselves: "help" and "day" pick entries in a
# question.
_COURTESY_TEXT: dict[str, str] = {
    "en": "much help helped nice day cool great awesome appreciate appreciated nas nah ban lok",
    "km": "មែនទែន",
}
_ASKING_TEXT: dict[str, str] = {
    "en": "how what whats why when where which who whom is are am can could do does did will "
          "would should may might must "
          # and words that want something or complain: "thanks, help me please", "thanks but
          # it didn't help", "hi, I need help" are not small talk
          "me need please pls plz still but not no never didnt dont doesnt cant isnt",
    "km": "តើ ទេ អត់ ម៉េច យ៉ាងម៉េច ដូចម្តេច អ្វី អី ខ្លះ ឬ តែ មិន ផង សោះ",
}


def _normalised(texts: dict[str, str]) -> dict[str, frozenset[str]]:
    return {
        lang: frozenset(
            form
            for word in text.split()
            for form in (normalize(word), *split_words(normalize(word)))
        )
        for lang, text in texts.items()
    }


STOPWORDS: dict[str, frozenset[str]] = _normalised(_STOPWORD_TEXT)
_GREETINGS = _normalised(_GREETING_TEXT)
_ASKING = _normalised(_ASKING_TEXT)
_COURTESY = _normalised(_COURTESY_TEXT)


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


# Romanised Khmer is spelt by ear, and each writer has habits: "chh", "ch", "j" and "tch" for ឆ or
# ជ; "kh" or "k"; "w" or "v"; "ou", "u" or "oo"; a final "r" or "h" that is only a vowel sign
# ("tver", "thveu", "twer": ធ្វើ). The fold writes every spelling of one sound the same way, so a
# spelling no editor listed meets a listed one of the same word.
_FOLD_SOUNDS = (
    (re.compile(r"(?<=[aeiou][^aeiouy])e$|(?<=[aeiou][^aeiouy]{2})e$"), ""),  # "kate", "kanne"
    (re.compile(r"(?<=[aeiouy])h$"), "s"),  # ះ: "chmoh", "chmos"
    (re.compile(r"ng"), "N"),
    (re.compile(r"tch|tj|dj|chh|ch|zh|j"), "c"),
    (re.compile(r"gn|ny|nh"), "Y"),
    (re.compile(r"kh|gh|ck|q|g"), "k"),
    (re.compile(r"ph|f"), "p"),
    (re.compile(r"th"), "t"),
    (re.compile(r"bh"), "b"),
    (re.compile(r"dh"), "d"),
    (re.compile(r"w"), "v"),
    (re.compile(r"[xz]"), "s"),
    (re.compile(r"(?<=.)h"), ""),  # aspiration, or a final "h" that only closes a vowel
)
_VOWELS = re.compile(r"(?<=.)[aeiouy]+|^[aeiou]+")
_ANY_VOWEL = re.compile(r"[aeiouy]")
_FINAL_R = re.compile(r"(?<=..)r$")  # a final "r" is a vowel sign: "tver", "kar"
# A fold of this many letters or more writes every vowel as "a". A shorter one keeps the kind
# of its vowels (a; e; i or y; o or u): "chin" (ចិន, China) is not "chen" (ចេញ, leave).
_LOOSE_FOLD = 4
# A fold this long that no listed word has is read as a listed fold one letter away, when all
# the listed folds that near are of one word.
_NEAR_FOLD = 8
_NEAR_CACHE = 50_000
# Folds shorter than this say too little: "ka" is ការ, គេ, ខែ and កែ.
_MIN_FOLD = 3
_VOWEL_KIND = {"a": "a", "e": "e", "i": "i", "y": "i", "o": "o", "u": "o"}


@lru_cache(maxsize=65536)
def _sounds(letters: str) -> str:
    """`letters` with each spelling of one sound written the same way (`_FOLD_SOUNDS`)."""
    sounds = letters.lower()
    for pattern, replacement in _FOLD_SOUNDS:
        sounds = pattern.sub(replacement, sounds)
    return sounds


def romanised_fold(letters: str) -> str:
    """One spelling for the ways people write the same romanised Khmer sounds (see
    `_FOLD_SOUNDS`): "thveu", "twer" → "tve"; "chhmous", "chmoh" → "cmas"."""
    sounds = _sounds(letters)
    loose = _REPEATED.sub(r"\1", _FINAL_R.sub("", _VOWELS.sub("a", sounds)))
    if len(loose) >= _LOOSE_FOLD:
        return loose
    kinds = _VOWELS.sub(lambda run: _VOWEL_KIND[run.group()[0]], sounds)
    return _REPEATED.sub(r"\1", _FINAL_R.sub("", kinds))


def romanised_skeleton(letters: str) -> str:
    """The consonants of the sounds (`_sounds`), every vowel left out, a leading "y" too, for
    writers who leave the vowels out ("t'vr", "p'n m'n": ធ្វើ, ប៉ុន្មាន). A final "r" stays:
    without vowels it is most of what tells "tvr" (ធ្វើ) from "tv" (ទៅ)."""
    return _REPEATED.sub(r"\1", _ANY_VOWEL.sub("", _sounds(letters)))


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
        # Romanised spellings by their fold (`romanised_fold`), phrases too ("yeang dauch mdech"),
        # for spellings of the same sounds that no editor listed; a fold two words share is left
        # out, as are the short ones.
        folds: dict[str, set[tuple[str, ...]]] = {}
        skeletons: dict[str, set[tuple[str, ...]]] = {}
        word_skeletons: dict[str, set[tuple[str, ...]]] = {}
        # Never read by its fold: English question words, and the Latin terms synonyms lead to
        # ("bakong", "passport"), which are the services' own names.
        self._unfolded = set(STOPWORDS["en"])
        for table in (synonyms or {}).values():
            for term, canonical in table.items():
                key = split_words(normalize(term))
                value = tuple(split_words(normalize(canonical)))
                self._unfolded.update(w for w in value if w.isascii())
                if key and value and tuple(key) != value:
                    letters = "".join(key)
                    self._phrases[letters] = value
                    # A key may come as more words than it was written in: "ប៉ាស្ព័រ" → ប៉ា ស្ព័រ.
                    self._longest = max(self._longest, len(letters))
                    if not (letters.isascii() and letters.isalpha()) or value[0].isascii():
                        continue
                    folds.setdefault(romanised_fold(letters), set()).add(value)
                    # Without vowels a phrase's letters can meet a word's ("oh ponman",
                    # អស់ប៉ុន្មាន, and "ponman" are both `pnmn`): the word's reading comes first.
                    (word_skeletons if len(key) == 1 else skeletons).setdefault(
                        romanised_skeleton(letters), set()).add(value)
                    if len(key) == 1:
                        outline = romanised_outline(letters)
                        if len(outline) >= _MIN_OUTLINE:
                            outlines.setdefault(outline, set()).add(value)
        self._outlines = _unambiguous(outlines)
        self._folds = _unambiguous(folds, _MIN_FOLD)
        self._fold_keys = list(self._folds)
        self._near: dict[str, tuple[str, ...] | None] = {}  # long folds already looked up
        self._skeletons = _unambiguous(skeletons | word_skeletons, _MIN_FOLD)

    def _near_fold(self, fold: str) -> tuple[str, ...] | None:
        """The reading of a fold; for one of `_NEAR_FOLD` letters or more that no listed word
        has, the reading of the listed folds one letter away (a typed "atsanhanban" and a
        listed "atsanhanaban"), when the nearest few are all of one word."""
        found = self._folds.get(fold)
        if found is not None or len(fold) < _NEAR_FOLD:
            return found
        if fold not in self._near:
            if len(self._near) >= _NEAR_CACHE:  # questions are free text: keep the cache bounded
                self._near.clear()
            near = {self._folds[key] for key, _score, _index in process.extract(
                fold, self._fold_keys, scorer=Levenshtein.distance, score_cutoff=1, limit=4)}
            self._near[fold] = next(iter(near)) if len(near) == 1 else None
        return self._near[fold]

    def _replace_once(self, words: list[str], english: frozenset[str] | None = None
                      ) -> list[str]:
        """Each longest run of words whose letters spell a key, replaced by its value; with
        `english`, runs of Latin words whose fold is a romanised key's fold instead, where an
        English word is only read as part of a longer run ("atasagnan ban" is ID card; "ban"
        alone stays)."""
        folded, english = english is not None, english or frozenset()
        out: list[str] = []
        i = 0
        while i < len(words):
            # The longest run of words starting here whose letters spell a key.
            best, size, letters = None, 0, ""
            for j in range(i, len(words)):
                letters += words[j]
                if len(letters) > self._longest:
                    break
                if folded:
                    if not (words[j].isascii() and words[j].isalpha()) or \
                            words[j] in self._unfolded:
                        break
                    found = None if j == i and words[i] in english else (
                        self._near_fold(romanised_fold(letters)) if _ANY_VOWEL.search(letters)
                        else self._skeletons.get(romanised_skeleton(letters)))
                else:
                    found = self._phrases.get(letters)
                if found is not None:
                    best, size = found, j - i + 1
            if best is None:
                out.extend([words[i]] if folded else self._replace_prefix(words[i]))
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

    def indexed(self, text: str) -> list[str]:
        """The words a knowledge-base text is indexed by: its content words as written (synonyms
        applied), then the Khmer words its fold reads in romanised spellings. An English
        question still meets the English words of a romanised variant ("khmer", "korea",
        "siem reap"), and a romanised question its Khmer reading."""
        written, _khmer, folded = self._readings(text)
        as_written = _content(written)
        if folded is None:
            return as_written
        seen = set(as_written)
        return as_written + [w for w in dict.fromkeys(_content(folded)) if w not in seen]

    def read(self, text: str, english: frozenset[str] = frozenset()) -> tuple[list[str], bool]:
        """`words`, and whether the text reads as Khmer: at least half its words are Khmer once
        synonyms are applied, question words included. Romanised Khmer reads as Khmer ("ayu 15
        chnam trov tver atasanhanh": its scaffolding, ត្រូវ ធ្វើ, is listed) though its content
        words may not be: they are read by their fold (`romanised_fold`), and the matcher reads
        what is left by its outline. `english`: Latin words known to be English (the
        knowledge base's English questions use them), never read by their fold ("visa free ot":
        "free" is not ប្រើ)."""
        written, khmer, folded = self._readings(text, english)
        return (_content(written), khmer) if folded is None else (_content(folded), True)

    def _readings(self, text: str, english: frozenset[str] = frozenset()
                  ) -> tuple[list[str], bool, list[str] | None]:
        """All words of `text` with synonyms applied, whether they read as Khmer, and the words
        read by their fold when that reading applies (else None)."""
        typed = split_words(normalize(text))
        words = self._apply_synonyms(typed)
        # Romanised Khmer (written mostly in Latin letters) spelt a way nobody listed, read by
        # its fold: only in a question with a listed romanised word of three letters or more,
        # and kept when it then reads as Khmer. So an English question with no such word ("can
        # I use bakong abroad", "phone b") is not read as romanised Khmer, nor a question
        # written mostly in Khmer script ("មានគេ call មក"); English question words, the Latin
        # terms synonyms lead to and `english` are not folded.
        if not _reads_khmer(typed) and self._has_listed_romanised(typed):
            folded = self._apply_synonyms(self._replace_once(words, english))
            if folded != words and _reads_khmer(folded):
                return words, True, folded
        return words, _reads_khmer(words), None

    def _has_listed_romanised(self, typed: list[str]) -> bool:
        """Whether a listed romanised spelling of three letters or more is among the words:
        shorter keys ("b", "nh") are also English or abbreviations."""
        longer = [w for w in typed if len(w) >= _MIN_FOLD and w.isascii()]
        return any(not w.isascii() for w in self._apply_synonyms(longer))


def _unambiguous(readings: Mapping[str, set[tuple[str, ...]]], shortest: int = 0
                 ) -> dict[str, tuple[str, ...]]:
    """Each key with the one reading it has, at least `shortest` letters long; a key with two
    readings says nothing."""
    return {k: next(iter(v)) for k, v in readings.items() if len(v) == 1 and len(k) >= shortest}


def is_small_talk(words: list[str]) -> bool:
    """Whether analysed words (`Analyzer.read`) are small talk alone: all stopwords or words of
    courtesy, at least one greeting or thanks among them and no word that asks."""
    return (all(w in STOPWORDS[_lang_of(w)] or w in _COURTESY[_lang_of(w)] for w in words)
            and any(w in _GREETINGS[_lang_of(w)] for w in words)
            and not any(w in _ASKING[_lang_of(w)] for w in words))


def _content(words: list[str]) -> list[str]:
    """The words that are not stopwords; all of them when every one is, or when they are small
    talk (`is_small_talk`): thanks and its courtesy are matched against the small-talk entries
    as a whole."""
    content = [w for w in words if w not in STOPWORDS[_lang_of(w)]]
    return words if not content or is_small_talk(words) else content


def _reads_khmer(words: list[str]) -> bool:
    """At least half the words that are not figures are Khmer."""
    letters = [w for w in words if not w.isdigit()]
    return 2 * sum(not w.isascii() for w in letters) >= len(letters) > 0


def char_ngrams(words: Iterable[str], n: int = 3) -> list[str]:
    """Character n-grams of the words run together: robust to segmentation and spelling slips."""
    joined = "".join(words)
    if len(joined) <= n:
        return [joined] if joined else []
    return [joined[i : i + n] for i in range(len(joined) - n + 1)]
