"""Synthetic knowledge bases of any size, made reproducibly from the real entries.

Why synthetic: the bundled knowledge base has a few thousand variants; a ministry that attaches
every question people asked (questions of origin `learned`) reaches 100k. The scaling rows need
that shape without inventing a language: every synthetic variant is a real variant of the same
entry, changed at the word level (a word dropped, two swapped, a word taken from a sibling
variant or from another entry, two variants spliced, a typing slip in a Latin word). Vocabulary
therefore stays close to the real one, plus the typing slips, as it would in a grown knowledge
base; each synthetic entry keeps its source's topic, so top-1 topic accuracy stays measurable.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from khmercut import tokenize as khmer_tokenize

from bot.bench.data import KnowledgeBase
from bot.engine.normalize import is_khmer_char
from bot.model import Entry, EntryText, Question

#: Rows (title + questions, both languages) per synthetic entry: about what editors write.
ROWS_PER_ENTRY = 10
DEFAULT_SEED = 7

Tokens = tuple[str, ...]
#: entry id → language → the tokenised variants (title first).
Pool = dict[str, dict[str, list[Tokens]]]


def tokens(text: str) -> Tokens:
    """Words of a variant as written: spaces split Latin text, khmercut splits Khmer runs."""
    out: list[str] = []
    for chunk in text.split():
        if any(is_khmer_char(ch) for ch in chunk):
            out.extend(t for t in khmer_tokenize(chunk) if t.strip() and t != "\u200b")
        else:
            out.append(chunk)
    return tuple(out)


def render(words: Sequence[str]) -> str:
    """Tokens back to text: Khmer words run together (as Khmer is written), others spaced."""
    text = ""
    for word in words:
        if text and not (is_khmer_char(text[-1]) and is_khmer_char(word[0])):
            text += " "
        text += word
    return text


def variant_pool(kb: KnowledgeBase) -> Pool:
    """Tokenise every real variant once (segmenting Khmer is the slow part of generation)."""
    pool: Pool = {}
    for entry in kb.entries:
        for lang, text in entry.texts.items():
            variants = [tokens(v) for v in (text.title, *(q.text for q in text.questions))]
            pool.setdefault(entry.id, {})[lang] = [v for v in variants if v]
    return pool


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isascii():
        return word
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # transpose
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # drop a letter
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]  # double a letter


def perturb(
    words: Tokens, siblings: list[Tokens], stranger: Tokens, rng: random.Random
) -> list[str]:
    """One or two word-level changes to a real variant (see the module docstring)."""
    out = list(words)
    for _ in range(rng.choice((1, 1, 2))):
        op = rng.randrange(6)
        if op == 0 and len(out) > 1:
            del out[rng.randrange(len(out))]
        elif op == 1 and len(out) > 1:
            i = rng.randrange(len(out) - 1)
            out[i], out[i + 1] = out[i + 1], out[i]
        elif op == 2:
            sibling = rng.choice(siblings)
            out[rng.randrange(len(out))] = rng.choice(sibling)
        elif op == 3 and stranger:
            out.insert(rng.randrange(len(out) + 1), rng.choice(stranger))
        elif op == 4:
            sibling = rng.choice(siblings)
            out = out[: max(1, len(out) // 2)] + list(sibling[len(sibling) // 2:])
        else:
            i = rng.randrange(len(out))
            out[i] = _typo(out[i], rng)
    # A variant must keep a word: punctuation alone ("?") is not a question, and the index
    # would skip it, leaving the knowledge base a row short of its nominal size.
    return out if any(ch.isalnum() for word in out for ch in word) else list(words)


def synthetic_kb(
    base: KnowledgeBase, size: int, seed: int = DEFAULT_SEED, pool: Pool | None = None,
    rows_per_entry: int = ROWS_PER_ENTRY,
) -> KnowledgeBase:
    """A knowledge base of `size` rows (titles + variants) over `size / rows_per_entry` synthetic
    entries, each built from a real entry (cycling through them). The same (base, size, seed)
    always gives the same knowledge base."""
    pool = pool if pool is not None else variant_pool(base)
    rng = random.Random(f"govbot-bench:{seed}:{size}")
    sources = [e for e in base.entries if pool.get(e.id)]
    entries: list[Entry] = []
    remaining = size
    number = 0
    while remaining > 0:
        source = sources[number % len(sources)]
        langs = [lang for lang in source.texts if pool[source.id].get(lang)]
        rows = min(rows_per_entry, remaining)
        texts = {}
        for k, lang in enumerate(langs):
            count = rows // len(langs) + (1 if k < rows % len(langs) else 0)
            if count == 0:
                continue
            siblings = pool[source.id][lang]
            other = rng.choice(sources)
            stranger_pool = pool[other.id].get(lang) or [()]
            made = [
                render(perturb(rng.choice(siblings), siblings, rng.choice(stranger_pool), rng))
                for _ in range(count)
            ]
            texts[lang] = EntryText(made[0], "", tuple(Question(q) for q in made[1:]))
        entries.append(Entry(
            id=f"syn-{number:06d}-{source.id}", topic=source.topic, category=source.category,
            texts=texts,
        ))
        remaining -= rows
        number += 1
    # The bundled not-ours questions would be indexed as rows too (matcher.py), and a synthetic
    # knowledge base of `size` rows would hold a few hundred more: keep the scope's word lists,
    # leave its questions out.
    return KnowledgeBase(tuple(entries), base.synonyms, replace(base.scope, not_ours_questions=()))
