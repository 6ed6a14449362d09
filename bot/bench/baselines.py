"""What a team would otherwise build, each over the same entries govbot indexes.

Every baseline indexes the same rows (each entry's titles and question variants, both
languages; `KnowledgeBase.variants`) and answers with the entry of its single best row, with no
threshold: the benchmark compares top-1 topic accuracy and speed, so none of them is handicapped
by having to say "I don't know". Each is written the way its library is used in the wild.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from khmercut import tokenize as khmer_tokenize
from rapidfuzz import fuzz, process, utils

from bot.bench.data import KnowledgeBase


class DifflibMatcher:
    """ChatterBot's default comparison (`LevenshteinDistance`): difflib's SequenceMatcher ratio of
    the lower-cased strings, against every stored variant, one pair at a time."""

    label = "difflib (ChatterBot-style)"

    def __init__(self, kb: KnowledgeBase) -> None:
        rows = kb.variants()
        self._texts = [row.text.lower() for row in rows]
        self._ids = [row.entry_id for row in rows]

    def __len__(self) -> int:
        return len(self._texts)

    def top(self, query: str) -> str | None:
        """The entry of the most similar variant."""
        text = query.lower()
        best, best_row = -1.0, -1
        for row, other in enumerate(self._texts):
            ratio = SequenceMatcher(None, text, other).ratio()
            if ratio > best:
                best, best_row = ratio, row
        return self._ids[best_row] if best_row >= 0 else None


class RapidfuzzWRatio:
    """Plain rapidfuzz: `process.extractOne` with `fuzz.WRatio` and `utils.default_process`
    (lower-case, non-alphanumerics to spaces), over the raw variant strings.

    default_process treats Khmer vowel signs and subscripts as non-alphanumeric, so Khmer text is
    cut into fragments before scoring: that is what this baseline does on Khmer out of the box.
    """

    label = "rapidfuzz extractOne WRatio"

    def __init__(self, kb: KnowledgeBase) -> None:
        rows = kb.variants()
        self._texts = [row.text for row in rows]
        self._ids = [row.entry_id for row in rows]

    def __len__(self) -> int:
        return len(self._texts)

    def top(self, query: str) -> str | None:
        """The entry of the best-scoring variant."""
        hit = process.extractOne(
            query, self._texts, scorer=fuzz.WRatio, processor=utils.default_process
        )
        return self._ids[hit[2]] if hit else None


# Khmer runs first (they contain combining signs that \w does not match), then other words.
_WORD_RE = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]+|[^\W_]+")


def bm25_tokens(text: str) -> list[str]:
    """The tokenizer a team would write for BM25: NFKC, case-folded words, Khmer runs split by
    khmercut (whitespace alone leaves a whole Khmer sentence as one token). No stopwords, no
    synonyms: those are govbot's own work, not the baseline's."""
    words: list[str] = []
    for match in _WORD_RE.finditer(unicodedata.normalize("NFKC", text).casefold()):
        run = match.group()
        if "\u1780" <= run[0] <= "\u19ff":
            words.extend(t for t in khmer_tokenize(run) if t.strip() and t != "\u200b")
        else:
            words.append(run)
    return words


def _okapi(documents: list[list[str]]):
    try:
        from rank_bm25 import BM25Okapi
    except ImportError as exc:  # optional extra
        raise RuntimeError("the BM25 baselines need rank-bm25: pip install -e '.[bench]'") from exc
    return BM25Okapi(documents)


class BM25Baseline:
    """`rank_bm25.BM25Okapi` over the tokenised variants; the top-scoring variant's entry."""

    label = "BM25 per row (rank-bm25 Okapi)"

    def __init__(self, kb: KnowledgeBase) -> None:
        rows = kb.variants()
        self._ids = [row.entry_id for row in rows]
        self._bm25 = _okapi([bm25_tokens(row.text) for row in rows])

    def __len__(self) -> int:
        return len(self._ids)

    def top(self, query: str) -> str | None:
        """The entry of the best-scoring variant; None when no query word is indexed."""
        words = bm25_tokens(query)
        if not words:
            return None
        scores = self._bm25.get_scores(words)
        best = int(scores.argmax())
        return self._ids[best] if scores[best] > 0 else None


class PooledBM25(BM25Baseline):
    """BM25 with each entry's variants (titles and questions, both languages) pooled into one
    document: the evidence of all of an entry's wordings together, so that one stray variant
    cannot carry a question the rest of the entry never speaks of."""

    label = "BM25 pooled per entry"

    def __init__(self, kb: KnowledgeBase) -> None:
        pooled: dict[str, list[str]] = {}
        for row in kb.variants():
            pooled.setdefault(row.entry_id, []).extend(bm25_tokens(row.text))
        self._ids = list(pooled)
        self._bm25 = _okapi(list(pooled.values()))
