"""The in-memory index of question variants and its fuzzy scoring.

Every question variant and title of every entry, in both languages, is one row: a Khmer user who
types "e-Visa" meets the English variants too. Each entry is scored by its best row. Scoring
follows the recipe measured in shared/khmer-notes.md (words and character trigrams, both with
token_set_ratio) plus a coverage term, because token_set_ratio alone scores 100 whenever the
question's words are a subset of a variant's, or the reverse ("thai visa" ⊃ "visa").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.engine.segment import Analyzer, char_ngrams
from bot.model import Entry

# Words shorter than this are not spell-corrected: too many short words are one edit apart.
_MIN_CORRECTABLE = 4
_CORRECTION_CUTOFF = 80.0


@dataclass(frozen=True)
class Candidate:
    """An entry with its best-matching variant and that variant's score (0–100)."""

    entry_id: str
    score: float
    variant: str
    lang: str


class Matcher:
    """Ranks entries for a question. Immutable once built: a new knowledge version builds a new one,
    so a reader never sees a half-built index."""

    def __init__(self, entries: Iterable[Entry], analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.entry_ids: list[str] = []
        row_entry: list[int] = []
        self._row_lang: list[str] = []
        self._row_text: list[str] = []
        self._word_strings: list[str] = []
        self._gram_strings: list[str] = []
        postings: dict[str, list[int]] = {}
        for entry in entries:
            index = len(self.entry_ids)
            self.entry_ids.append(entry.id)
            for lang, text in entry.texts.items():
                for variant in (text.title, *(q.text for q in text.questions)):
                    words = analyzer.words(variant)
                    if not words:
                        continue
                    row = len(row_entry)
                    row_entry.append(index)
                    self._row_lang.append(lang)
                    self._row_text.append(variant)
                    self._word_strings.append(" ".join(words))
                    self._gram_strings.append(" ".join(char_ngrams(words)))
                    for word in set(words):
                        postings.setdefault(word, []).append(row)
        self._row_entry = np.asarray(row_entry, dtype=np.int32)
        self._postings = {w: np.asarray(rows, dtype=np.int32) for w, rows in postings.items()}
        # Inverse entry frequency: a word most entries use ("online", "ប៉ុន្មាន") says little
        # about which entry is meant; a word no entry uses says the question is about something
        # else, and weighs the most.
        n = max(len(self.entry_ids), 1)
        self._unknown_weight = math.log(1 + n)
        self._weight = {
            w: math.log(1 + n / len(np.unique(self._row_entry[rows])))
            for w, rows in self._postings.items()
        }
        self._latin_vocab = sorted(
            w for w in postings if w.isascii() and len(w) >= _MIN_CORRECTABLE
        )

    def __len__(self) -> int:
        return len(self._row_text)

    def correct(self, words: list[str]) -> list[str]:
        """Replace misspelt Latin words by the nearest word the knowledge base uses ("pasport")."""
        fixed = []
        for word in words:
            if word in self._postings or not word.isascii() or len(word) < _MIN_CORRECTABLE:
                fixed.append(word)
                continue
            best = process.extractOne(
                word, self._latin_vocab, scorer=fuzz.ratio, score_cutoff=_CORRECTION_CUTOFF
            )
            fixed.append(best[0] if best else word)
        return fixed

    def rank(self, text: str, limit: int = 5) -> list[Candidate]:
        """The best `limit` entries for `text`, best first, each scored by its best variant."""
        words = self.correct(self.analyzer.words(text))
        if not words or not self._row_text:
            return []
        word_scores = process.cdist(
            [" ".join(words)], self._word_strings, scorer=fuzz.token_set_ratio,
            processor=None, dtype=np.float32,
        )[0]
        gram_scores = process.cdist(
            [" ".join(char_ngrams(words))], self._gram_strings, scorer=fuzz.token_set_ratio,
            processor=None, dtype=np.float32,
        )[0]
        covered = np.zeros(len(self._row_text), dtype=np.float32)
        total = 0.0
        for word in set(words):
            weight = self._weight.get(word, self._unknown_weight)
            total += weight
            rows = self._postings.get(word)
            if rows is not None:
                covered[rows] += weight
        scores = combine(word_scores, gram_scores, covered / total)
        # Best row per entry: walk rows from the best down, keeping each entry's first sighting.
        order = np.argsort(-scores, kind="stable")
        seen: set[int] = set()
        out: list[Candidate] = []
        for i in order:
            entry = int(self._row_entry[i])
            if entry in seen:
                continue
            seen.add(entry)
            out.append(
                Candidate(
                    self.entry_ids[entry], round(float(scores[i]), 2),
                    self._row_text[i], self._row_lang[i],
                )
            )
            if len(out) == limit:
                break
        return out


# How much of the score rests on covering the question's informative words (see `combine`).
COVERAGE_WEIGHT = 0.5


def combine(word_scores: np.ndarray, gram_scores: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """One 0–100 score per row.

    The fuzzy similarity (mean of word and trigram token_set_ratio, the best recipe measured on
    Khmer) is scaled by the weighted share of the question's words the row contains, so that a
    question whose key word the knowledge base never uses ("Thai visa", "what time is it") stays
    below the answer threshold however well its other words match.
    """
    similarity = (word_scores + gram_scores) / 2
    return similarity * ((1 - COVERAGE_WEIGHT) + COVERAGE_WEIGHT * coverage)
