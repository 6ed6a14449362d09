"""The in-memory index of question variants and its fuzzy scoring.

Every question variant and title of every entry, in both languages, is one row: a Khmer user who
types "e-Visa" meets the English variants too. Each entry is scored by its best row. Scoring
follows the recipe measured in docs/khmer.md (words and character trigrams, both with
token_set_ratio) plus a coverage term, because token_set_ratio alone scores 100 whenever the
question's words are a subset of a variant's, or the reverse ("thai visa" ⊃ "visa").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from bot.engine.fitted import fitted
from bot.engine.normalize import detect_language, starts_syllable
from bot.engine.scope import Mentions, Scope
from bot.engine.segment import Analyzer, char_ngrams, is_small_talk
from bot.model import Entry

# Words shorter than this are not spell-corrected: too many short words are one edit apart.
_MIN_CORRECTABLE = 4
_CORRECTION_CUTOFF = 85.0
# At most this many segmenter pieces are joined back into one known word.
_MAX_JOIN = 3
# The id under which the questions editors marked "not ours" are indexed, like an entry's
# variants: a question that matches one of them best is about something we do not answer.
NOT_OURS = "(not ours)"
# Topics that warn against a scam imitating a service: a question asking whether something is a
# scam (`Scope.suspicion`) is about them, whatever service it names (engine/decide.py).
WARNING_TOPICS: tuple[str, ...] = ("scam-warnings",)


class Said(NamedTuple):
    """What one sentence of a long message, asked alone, points to: its best entry's topic,
    that entry's score, and the entry."""

    topic: str
    score: float
    entry_id: str = ""


class Sentences(Sequence[Said]):
    """What each sentence of a message points to (`Said`), ranked only when first read.

    Ranking every sentence of a long message costs up to four times the message itself, and
    only a decision the confidence model cannot make alone reads them (`engine.decide`): a
    question answered as sure enough never pays for them."""

    def __init__(self, rank: Callable[[], tuple[Said, ...]]) -> None:
        self._rank = rank
        self._said: tuple[Said, ...] | None = None

    def _items(self) -> tuple[Said, ...]:
        if self._said is None:
            self._said = self._rank()
        return self._said

    def __getitem__(self, index: int | slice) -> Any:  # a Said, or a tuple of them
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr(self._said) if self._said is not None else "Sentences(not ranked yet)"

    def __reduce__(self) -> tuple[type, tuple[tuple[Said, ...]]]:
        # Pickled (for another process) as the ranked tuple: the matcher stays behind.
        return tuple, (self._items(),)


@dataclass(frozen=True)
class Candidate:
    """An entry with its best-matching variant and that variant's score (0–100).

    `elsewhere`: the question names another country's place or scheme that this entry does not
    speak of ("Thai driving licence"), so the entry is a related choice, not the answer.
    """

    entry_id: str
    score: float
    variant: str
    lang: str
    elsewhere: bool = False
    words: int = 2  # content words in the question, after stopwords and synonyms
    pooled: float = 0.0  # the entry's pooled BM25 evidence for the question, 0–1
    novel: float = 0.0  # share of the question's weight in words no entry uses, 0–1
    suspicious: bool = False  # the question asks whether something is a scam (`Scope.suspicion`)
    # the message greets or thanks and nothing else: no content word, no word that asks, no
    # question mark (`segment.is_small_talk`)
    chat: bool = False
    # In a message of several sentences, or of one sentence with clauses set apart by commas:
    # for each sentence (or clause) of two content words or more, asked alone, what it points
    # to (`Said`, `Matcher.rank`); the same for every candidate of the question. Empty for a
    # message of one sentence and one clause.
    sentences: Sequence[Said] = field(default=(), compare=False)


@dataclass(frozen=True)
class Recipe:
    """How the score components are mixed; measured with `govbot eval` (see README).

    - `gram_weight`: share of the similarity from character trigrams (robust to segmentation
      differences and misspellings in Khmer) against word token_set_ratio.
    - `coverage_weight`: how much the score rests on covering the question's informative words;
      `row_coverage` adds the share of the variant the question covers, so that "passport"
      prefers a variant about passports over one that merely mentions them.
    - `entry_weight`: share of the score from the entry as a whole (how many of its variants use
      the question's words): the signal that says what an entry is about.
    - `pooled_weight`: share of the score from BM25 over the entry's variants pooled into one
      document, normalised by what the question's words could score at most: evidence from all
      of an entry's wordings together, so one stray variant cannot carry a question the rest of
      the entry never speaks of.
    - `candidates`: rows re-scored with rapidfuzz after the cheap inverted-index pass.
    """

    gram_weight: float = 0.3
    coverage_weight: float = 0.7
    row_coverage: float = 1.0
    entry_weight: float = 0.3
    pooled_weight: float = 0.0
    candidates: int = 300


DEFAULT_RECIPE = Recipe(**fitted("recipe"))


class Matcher:
    """Ranks entries for a question. Immutable once built: a new knowledge version builds a new one,
    so a reader never sees a half-built index."""

    def __init__(
        self, entries: Iterable[Entry], analyzer: Analyzer, recipe: Recipe = DEFAULT_RECIPE,
        scope: Scope | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.recipe = recipe
        self.scope = scope or Scope()
        self.entry_ids: list[str] = []
        self._for_visitors: list[bool] = []
        row_entry: list[int] = []
        self._row_lang: list[str] = []
        self._row_text: list[str] = []
        self._word_strings: list[str] = []
        word_postings: dict[str, list[int]] = {}
        gram_postings: dict[str, list[int]] = {}
        gram_counts: list[int] = []
        # Special-case entries (an embassy abroad, one group of people, a scam imitating a
        # service): per entry index, the word sets of which the question must contain one.
        entries = list(entries)
        self._only_when: dict[int, tuple[frozenset[str], ...]] = {
            index: tuple(frozenset(words) for words in map(analyzer.words, entry.only_when)
                         if words)
            for index, entry in enumerate(entries) if entry.only_when
        }
        self._warning_ids = frozenset(e.id for e in entries if e.topic in WARNING_TOPICS)
        self._topic_of = {e.id: e.topic for e in entries}
        self._warnings = frozenset(
            index for index, entry in enumerate(entries) if entry.id in self._warning_ids)
        # Latin words of the English rows: a romanised question keeps them as written.
        english: set[str] = set()
        for entry_id, for_visitors, variants in self._documents(entries):
            index = len(self.entry_ids)
            self.entry_ids.append(entry_id)
            self._for_visitors.append(for_visitors)
            for lang, variant in variants:
                words = analyzer.indexed(variant)
                if not words:
                    continue
                row = len(row_entry)
                row_entry.append(index)
                self._row_lang.append(lang)
                if lang == "en":
                    english.update(w for w in words if w.isascii())
                self._row_text.append(variant)
                self._word_strings.append(" ".join(words))
                grams = set(char_ngrams(words))
                gram_counts.append(len(grams))
                for gram in grams:
                    gram_postings.setdefault(gram, []).append(row)
                for word in set(words):
                    word_postings.setdefault(word, []).append(row)
        self._english = frozenset(english)
        self._row_entry = np.asarray(row_entry, dtype=np.int32)
        self._gram_counts = np.asarray(gram_counts, dtype=np.float32)
        self._postings = {w: np.asarray(r, dtype=np.int32) for w, r in word_postings.items()}
        self._gram_postings = {g: np.asarray(r, dtype=np.int32) for g, r in gram_postings.items()}
        n = max(len(self.entry_ids), 1)
        self._rows_per_entry = np.maximum(np.bincount(self._row_entry, minlength=n), 1)
        # Inverse entry frequency: a word most entries use ("online", "ប៉ុន្មាន") says little
        # about which entry is meant; a word no entry uses says the question is about something
        # else, and weighs the most.
        self._unknown_weight = math.log(1 + n)
        self._weight: dict[str, float] = {}
        # Per word: the entries using it and the share of each entry's rows that do. Sparse,
        # because a dense array over all entries for every word grows with the square of the
        # knowledge base (283 of 334 MB at 100k variants; docs/performance.md).
        self._entry_share: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        row_weight = np.zeros(len(row_entry), dtype=np.float32)
        for word, rows in self._postings.items():
            entries, counts = np.unique(self._row_entry[rows], return_counts=True)
            self._weight[word] = math.log(1 + n / len(entries))
            self._entry_share[word] = (
                entries, (counts / self._rows_per_entry[entries]).astype(np.float32))
            row_weight[rows] += self._weight[word]
        not_ours = self.entry_ids.index(NOT_OURS) if NOT_OURS in self.entry_ids else -1
        self._pooled = _pooled_bm25(self._postings, self._row_entry, self._word_strings, n,
                                    not_ours)
        self._row_weight = np.maximum(row_weight, 1e-6)
        # Words some entry uses. A word only the not-ours questions use still counts as novel
        # (`_novel`): knowing that "gmail" is not ours must never make a question about it look
        # more like ours to the confidence model, which was fitted on novelty over entries alone.
        self._ours_words = frozenset(
            word for word, (used_by, _) in self._entry_share.items()
            if len(used_by) > 1 or int(used_by[0]) != not_ours)
        correctable = [w for w in word_postings if len(w) >= _MIN_CORRECTABLE]
        self._latin_vocab = sorted(w for w in correctable if w.isascii())
        self._khmer_vocab = sorted(w for w in correctable if not w.isascii())

    def _documents(self, entries: Iterable[Entry]
                   ) -> Iterable[tuple[str, bool, list[tuple[str, str]]]]:
        """Each entry's id, whether it is for visitors, and its (lang, variant) rows: the title and
        questions in both languages; then the scope's not-ours questions as one more document."""
        for entry in entries:
            yield entry.id, "visitor" in entry.audience, [
                (lang, variant) for lang, text in entry.texts.items()
                for variant in (text.title, *(q.text for q in text.questions))]
        if self.scope.not_ours_questions:
            yield NOT_OURS, False, [
                (detect_language(q), q)
                for q in self.scope.not_ours_questions]

    def __len__(self) -> int:
        return len(self._row_text)

    def correct(self, words: list[str], khmer: bool = False) -> list[str]:
        """Words the knowledge base does not use, replaced by ones it does.

        Latin words go to the nearest spelling ("pasport"). Khmer has no spaces, so the segmenter
        cuts the same word differently from one sentence to the next: pieces that together spell
        a known word are joined ("ប៉ា ស្ព័រ"), an unknown word made of two known ones is split,
        and otherwise the nearest known spelling is taken ("ជំរាបសួរ" → "ជម្រាបសួរ"). `khmer`: the
        whole question reads as Khmer (`Analyzer.read`), so a Latin word may be romanised Khmer.
        """
        fixed = []
        done: dict[str, list[str]] = {}  # a word repeated 200 times is looked up once
        # Latin words among Khmer ones (romanised synonyms already turned some into Khmer) may
        # be romanised Khmer spelt a way no synonym lists: "tver siovphov kruosa" → សៀវភៅ ….
        # Only when the question reads as Khmer (`khmer`, `Analyzer.read`), or at least half
        # its content words are Khmer: an English question in which a word or two happen to be
        # romanised keys ("tuk tuk") is not read as Khmer.
        khmer = khmer or 2 * sum(not w.isascii() for w in words) >= len(words)
        for word in self._join_known(words):
            if word not in done:
                done[word] = self._corrected(word, khmer)
            fixed.extend(done[word])
        return fixed

    def _corrected(self, word: str, khmer: bool = False) -> list[str]:
        known = word in self._postings
        # A romanised word only the not-ours questions use ("siovphov" in a bank-book question)
        # is still read by its outline in a question that reads as Khmer.
        if len(word) < _MIN_CORRECTABLE or (known and (not khmer or word in self._ours_words)):
            return [word]
        if not known:
            parts = None if word.isascii() else self._split_known(word)
            if parts:
                return parts
            best = process.extractOne(
                word, self._latin_vocab if word.isascii() else self._khmer_vocab,
                scorer=fuzz.ratio, score_cutoff=_CORRECTION_CUTOFF,
            )
            if best:
                return [best[0]]
        romanised = self.analyzer.romanised(word) if khmer else None
        return list(romanised) if romanised else [word]

    def _join_known(self, words: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            size = next(
                (n for n in range(_MAX_JOIN, 1, -1)
                 if i + n <= len(words) and self._joinable(words[i : i + n])),
                1,
            )
            out.append("".join(words[i : i + size]))
            i += size
        return out

    def _joinable(self, pieces: list[str]) -> bool:
        return (
            all(not p.isascii() for p in pieces)
            and any(p not in self._postings for p in pieces)
            and "".join(pieces) in self._postings
        )

    def _split_known(self, word: str) -> list[str] | None:
        splits = [
            (word[:k], word[k:]) for k in range(2, len(word) - 1)
            if starts_syllable(word, k)
            and word[:k] in self._postings and word[k:] in self._postings
        ]
        if not splits:
            return None
        # The most even cut: "ទិដ្ឋាការ|អនឡាញ" rather than a one-letter piece and the rest.
        return list(max(splits, key=lambda pair: min(map(len, pair))))

    def _without_incidentals(self, words: list[str], named: Mentions) -> list[str]:
        """The asker's nationality ("my friend from France") or destination picks no entry, and as
        a word no entry uses it would count against every one; `Mentions.elsewhere` judges it.
        A destination some entry speaks of ("Korea", for the embassy in Seoul) still scores.
        So does a single digit, or a number no entry uses ("2 kids", texting's "2" for "to" and
        "4" for "for"): it says nothing about which service is meant. A longer number the
        knowledge uses (a hotline, a Prakas) still counts. A country converted from
        (`Mentions.converted`) reads as the word for foreign."""
        kept = [w for w in words
                if (w not in named.incidental or (w in named.destinations and w in self._postings))
                and not (w.isdigit() and (len(w) == 1 or w not in self._postings))]
        # A country whose licence is converted into a Cambodian one stands for any foreign one,
        # as the entries for foreigners put it ("convert foreign driving licence").
        kept += [foreign for place in named.converted
                 for foreign in sorted(self.scope.marker("foreign"))
                 if foreign.isascii() == place.isascii() and foreign in self._postings]
        return kept or words

    def _uses(self, entry: int, word: str) -> bool:
        found = self._entry_share.get(word)
        return found is not None and bool(np.any(found[0] == entry))

    def components(self, words: list[str]) -> dict[str, np.ndarray]:
        """The per-row score components for already-analysed words (cheap, index-only ones).

        `shared`: weighted words in common; `gram_dice`: trigram overlap 0–100; `entry`:
        per-row share of its entry's variants using the question's words, weighted.
        """
        rows = len(self._row_text)
        shared = np.zeros(rows, dtype=np.float32)
        entry = np.zeros(len(self.entry_ids), dtype=np.float32)
        total = 0.0
        for word in set(words):
            weight = self._weight.get(word, self._unknown_weight)
            total += weight
            posting = self._postings.get(word)
            if posting is not None:
                shared[posting] += weight
                entries, share = self._entry_share[word]
                entry[entries] += weight * share
        grams = set(char_ngrams(words))
        gram_shared = np.zeros(rows, dtype=np.float32)
        for gram in grams:
            posting = self._gram_postings.get(gram)
            if posting is not None:
                gram_shared[posting] += 1
        gram_dice = 200 * gram_shared / (len(grams) + self._gram_counts)
        pooled = np.zeros(len(self.entry_ids), dtype=np.float32)
        best_possible = 0.0
        for word in set(words):
            found = self._pooled.get(word)
            best_possible += (_BM25_K1 + 1) * (found[2] if found else self._unknown_weight)
            if found is not None:
                pooled[found[0]] += found[1]
        return {
            "query_coverage": shared / total,
            "row_coverage": shared / self._row_weight,
            "gram_dice": gram_dice,
            "entry": (entry / total)[self._row_entry],
            "pooled": (pooled / max(best_possible, 1e-6))[self._row_entry],
        }

    def _novel(self, words: list[str]) -> float:
        """Share of the words' weight in words no entry uses (the not-ours questions are no
        entry): a question mostly about something the knowledge base never speaks of is likely
        not ours, whatever its other words match."""
        weights = {w: self._weight.get(w, self._unknown_weight) for w in set(words)}
        unknown = sum(v for w, v in weights.items() if w not in self._ours_words)
        return round(unknown / max(sum(weights.values()), 1e-6), 4)

    def rank_entries(self, text: str, limit: int = 8) -> list[Candidate]:
        """`rank` without the not-ours questions: real entries only, for lists of choices (with
        the warning `rank` keeps past the limit for a question asking whether it is a scam)."""
        ranked = [c for c in self.rank(text, limit + 1, sentences=False)
                  if c.entry_id != NOT_OURS]
        kept = ranked[:limit]
        warning = next((c for c in ranked if c.entry_id in self._warning_ids), None)
        if warning is not None and warning.suspicious and warning not in kept:
            kept.append(warning)
        return kept

    def rank(self, text: str, limit: int = 8, sentences: bool = True) -> list[Candidate]:
        """The best `limit` entries for `text`, best first, each scored by its best variant
        (and, for a question asking whether something is a scam, the best warning after them).
        `sentences`: also rank each sentence of a longer message (`Candidate.sentences`), which
        only the decision needs; lists of choices leave it out."""
        named = self.scope.mentions(text)
        analysed, khmer = self.analyzer.read(text, self._english)
        chat = "?" not in text and is_small_talk(analysed)
        words = self.correct(self._without_incidentals(analysed, named), khmer)
        if not words or not self._row_text:
            return []
        parts = self.components(words)
        cheap = parts["gram_dice"] + 100 * parts["query_coverage"]
        pool = np.flatnonzero(cheap)
        if len(pool) > self.recipe.candidates:
            pool = pool[np.argpartition(-cheap[pool], self.recipe.candidates)[
                : self.recipe.candidates]]
        if not len(pool):
            return []
        word_ratio = process.cdist(
            [" ".join(words)], [self._word_strings[i] for i in pool],
            scorer=fuzz.token_set_ratio, processor=None, dtype=np.float32,
        )[0]
        scores = combine(self.recipe, word_ratio, {k: v[pool] for k, v in parts.items()})
        novel = self._novel(words)
        # Best row per entry: walk rows from the best down, keeping each entry's first sighting.
        # A special-case entry whose distinguishing words the question lacks is never a
        # candidate: "renew passport" belongs to the general entry, not the embassy in Seoul.
        # A place left out of the score as the asker's own ("worker in korea passport renew"
        # reads as a Korean passport) still names such an entry.
        present = set(words) | (set(analysed) & named.places)
        # Asking whether something is a scam is what makes a warning the answer: it stands in
        # for the warnings' own distinguishing words, and the best warning is kept among the
        # candidates even past `limit` ("passport in 3 days for $250, jer ban ot?").
        suspicious = named.suspicious or (
            khmer and detect_language(text) == "en" and self.scope.suspicious_romanised(text))
        seen: set[int] = {
            entry for entry, needs in self._only_when.items()
            if not any(need <= present for need in needs)
            and not (suspicious and entry in self._warnings)}
        warning_wanted = suspicious and bool(self._warnings)
        out: list[Candidate] = []
        for j in np.argsort(-scores, kind="stable"):
            i = int(pool[j])
            entry = int(self._row_entry[i])
            if entry in seen or (len(out) >= limit
                                 and not (warning_wanted and entry in self._warnings)):
                continue
            seen.add(entry)
            warning_wanted = warning_wanted and entry not in self._warnings
            # A scam warning is for everyone, visitors and residents alike: a citizen's trip
            # abroad does not untie it ("a broker before my trip to Korea, legit?"), as it
            # unties the e-Arrival card.
            for_visitors = self._for_visitors[entry]
            elsewhere = bool(named) and named.elsewhere(
                frozenset(w for w in named.places | named.not_ours if self._uses(entry, w)),
                for_visitors, not for_visitors or entry in self._warnings,
            )
            out.append(Candidate(self.entry_ids[entry], round(float(scores[j]), 2),
                                 self._row_text[i], self._row_lang[i], elsewhere,
                                 len(present), round(float(parts["pooled"][i]), 4), novel,
                                 suspicious, chat=chat))
            if len(out) >= limit and not warning_wanted:
                break
        return self._supported(text, out) if sentences else out

    def _supported(self, text: str, ranked: list[Candidate]) -> list[Candidate]:
        """`ranked` with the message's `sentences`, for a message of several sentences.

        A long message is mostly its story ("My phone was stolen last week… I got a new SIM…
        What should I do?"): against short variants the whole scores low whatever it is about,
        but its sentences, asked one by one, often point to one topic again and again. A
        sentence of one content word ("What should I do?") says nothing and is left out. The
        decision weighs them (`Thresholds.long_support`). A message of one sentence is read
        by its clauses between commas: romanised Khmer sets its sentences apart with commas
        alone ("scan QR ler ekasa, min chenh avey te bong, ekasa kleng ot?"). They are ranked
        only when the decision reads them (`Sentences`)."""
        # At most `_MAX_SENTENCES`, each ranked in full: of a longer message its first and last
        # ones, where people set out what it is about and ask their question. A 1000-character
        # message takes 9.5 ms whole; with its twenty sentences ranked too, 77 ms; with eight,
        # 30 ms.
        sentences = [s for s in _SENTENCE_BREAK.split(text) if s.strip()]
        if len(sentences) < 2:
            sentences = [s for s in _CLAUSE_BREAK.split(text) if s.strip()]
        if len(sentences) > _MAX_SENTENCES:
            half = _MAX_SENTENCES // 2
            sentences = sentences[:half] + sentences[-half:]
        if len(sentences) < 2 or not ranked:
            return ranked
        said = Sentences(lambda: self._said(sentences))
        return [replace(c, sentences=said) for c in ranked]

    def _said(self, sentences: list[str]) -> tuple[Said, ...]:
        """What each sentence, asked alone, points to; a sentence of one content word says
        nothing and is left out."""
        found = []
        for sentence in sentences:
            first = self.rank(sentence, 1, sentences=False)
            if first and first[0].words >= 2:
                found.append(Said(self._topic_of.get(first[0].entry_id, first[0].entry_id),
                                  first[0].score, first[0].entry_id))
        return tuple(found)


# Where a sentence ends: a Khmer full stop (។, ៕), with or without a space after it; a Latin
# full stop, question or exclamation mark before a space; a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[។៕])\s*|(?<=[.?!])\s+|\n+")
# Where a clause ends in a message of one sentence: a comma before a space.
_CLAUSE_BREAK = re.compile(r",\s+")
_MAX_SENTENCES = 8


# Okapi BM25's usual constants: term-frequency saturation and length normalisation.
_BM25_K1 = 1.2
_BM25_B = 0.75


def _pooled_bm25(
    postings: dict[str, np.ndarray], row_entry: np.ndarray, word_strings: list[str], n: int,
    not_ours: int = -1,
) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Per word: the entries using it, its BM25 weight in each entry's pooled document (all the
    entry's rows together), and its idf. Sparse, like `_entry_share`.

    The average document length leaves out the not-ours questions (index `not_ours`): pooled,
    they are one document as long as fifty entries, and counting it would move every entry's
    weights whenever an editor marks one more question not ours (the idf still counts that
    document, so entries sharing the new question's words do move)."""
    lengths = np.zeros(n, dtype=np.float32)
    np.add.at(lengths, row_entry, [len(w.split()) for w in word_strings])
    entries_only = np.delete(lengths, not_ours) if 0 <= not_ours < n else lengths
    average = float(entries_only.mean()) if len(entries_only) else 1.0
    pooled = {}
    for word, rows in postings.items():
        entries, tf = np.unique(row_entry[rows], return_counts=True)
        idf = math.log(1 + (n - len(entries) + 0.5) / (len(entries) + 0.5))
        norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * lengths[entries] / max(average, 1e-6))
        weight = idf * tf * (_BM25_K1 + 1) / (tf + norm)
        pooled[word] = (entries, weight.astype(np.float32), idf)
    return pooled


def combine(recipe: Recipe, word_ratio: np.ndarray, parts: dict[str, np.ndarray]) -> np.ndarray:
    """One 0–100 score per row.

    Fuzzy similarity (word token_set_ratio mixed with trigram overlap, after the best recipe
    measured on Khmer) is scaled by how much of the question's informative words the row covers,
    so a question whose key word the knowledge base never uses ("Thai visa", "what time is it")
    stays below the answer threshold however well its other words match; then blended with the
    entry-level signal.
    """
    similarity = (1 - recipe.gram_weight) * word_ratio + recipe.gram_weight * parts["gram_dice"]
    coverage = (parts["query_coverage"] + recipe.row_coverage * parts["row_coverage"]) / (
        1 + recipe.row_coverage
    )
    base = similarity * ((1 - recipe.coverage_weight) + recipe.coverage_weight * coverage)
    rest = 1 - recipe.entry_weight - recipe.pooled_weight
    return rest * base + 100 * (recipe.entry_weight * parts["entry"]
                                + recipe.pooled_weight * parts["pooled"])
