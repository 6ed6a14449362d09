"""Khmer and Latin normalisation: each step of docs/khmer.md, code points spelled out.

Two spellings a reader cannot tell apart must normalise to the same string, or the matcher will
treat a user's question as a different one from the curated variant.
"""

import pytest

from bot.engine.normalize import detect_language, normalize

SAME_LOOKING = [
    # (typed form, canonical form, what the step is)
    ("\u179f\u17d2\u179a\u17d2\u178f\u17b8", "\u179f\u17d2\u178f\u17d2\u179a\u17b8",
     "coeng-Ro comes after other subscripts: ស្រ្តី → ស្ត្រី"),
    ("\u1794\u17bb\u17c9", "\u1794\u17c9\u17bb", "shifter before the vowel: បុ៉ → ប៉ុ"),
    ("\u1780\u17c6\u17bb", "\u1780\u17bb\u17c6", "vowel before nikahit: កំុ → កុំ"),
    ("\u1781\u17c2\u17d2\u1798\u179a", "\u1781\u17d2\u1798\u17c2\u179a",
     "vowel typed before a coeng moves after it: ខែ្មរ → ខ្មែរ"),
    ("\u1780\u17c1\u17b8", "\u1780\u17be", "split vowel U+17C1 U+17B8 → U+17BE"),
    ("\u1780\u17c1\u17b6", "\u1780\u17c4", "split vowel U+17C1 U+17B6 → U+17C4"),
    ("\u1794\u178e\u17d2\u178a\u17bb\u17c7", "\u1794\u178e\u17d2\u178f\u17bb\u17c7",
     "coeng-Da folds to coeng-Ta: បណ្ដុះ → បណ្តុះ"),
    ("\u17b2\u17d2\u1799", "\u17b1\u17d2\u1799", "ឲ U+17B2 → ឱ U+17B1"),
    ("\u17a3", "\u17a2", "U+17A3 → អ U+17A2"),
    ("\u17a4", "\u17a2\u17b6", "U+17A4 → អា"),
    ("\u1780\u17b6\u17b6", "\u1780\u17b6", "repeated vowel sign collapses"),
    ("\u1780\u17b4\u17b6", "\u1780\u17b6", "invisible inherent vowel U+17B4 removed"),
    ("\u1781\u200b\u17d2\u1798\u17c2\u179a", "\u1781\u17d2\u1798\u17c2\u179a",
     "zero-width space removed before reordering"),
    ("\u1781\u200d\u17d2\u1798\u17c2\u179a", "\u1781\u17d2\u1798\u17c2\u179a",
     "ZWJ removed before reordering (else mistaken for a coeng marker)"),
    ("\ufeff\u00ad\u2060\u200c\u1780", "\u1780", "BOM, soft hyphen, word joiner, ZWNJ removed"),
    ("\u17e1\u17e2\u17e3", "123", "Khmer digits → ASCII"),
    ("\u1780\u17d4\u1781", "\u1780\u1781", "Khmer full stop ។ is punctuation"),
    ("\u1780\u17d6 \u1781", "\u1780\u1781", "៖ is punctuation; spaces inside Khmer runs drop"),
    ("\u1780\u17d7", "\u1780\u17d7", "the repetition mark ៗ is kept"),
    ("«\u1780»", "\u1780", "guillemets are punctuation"),
]


@pytest.mark.parametrize(
    ("typed", "canonical", "why"), SAME_LOOKING, ids=[c[2] for c in SAME_LOOKING]
)
def test_khmer_forms_that_look_the_same_normalise_the_same(typed, canonical, why):
    assert normalize(typed) == normalize(canonical) == canonical


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("How do I apply for an E-Visa?", "how do i apply for an evisa"),
        ("ＥＶＩＳＡ\u00a0fee", "evisa fee"),  # full-width letters and no-break space (NFKC)
        ("e‑visa", "evisa"),  # non-breaking hyphen joins like a hyphen
        ("verify.gov.kh", "verify gov kh"),
        ("What's   the\tfee??", "whats the fee"),
        ("STRASSE straße", "strasse strasse"),  # casefold, not lower
        ("<b>x</b> & ' ; DROP TABLE", "b x b drop table"),
        # accents go: romanised Khmer written with French or Vietnamese habits
        ("kate identité, Bông", "kate identite bong"),
        ("hiii, goood", "hii good"),  # letters stretched in chat, kept twice as in "good"
        ("shell-less full-length", "shelless fullength"),  # stretched once joined: idempotent
    ],
)
def test_latin_normalisation(typed, expected):
    assert normalize(typed) == expected


@pytest.mark.parametrize("text", [
    "តើ​ខ្ញុំ ស្នើសុំ e-Visa យ៉ាងដូចម្ដេច? ១២៣",
    "shell-less, full-length, a-a-a, hiii, Bông ơi",
])
def test_normalisation_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


def test_mixed_khmer_and_latin_keep_a_space_between_scripts():
    assert normalize("ធ្វើ e-Visa  ប៉ុន្មាន") == "ធ្វើ evisa ប៉ុន្មាន"


@pytest.mark.parametrize(
    ("text", "lang"),
    [("ធ្វើ e-Visa", "km"), ("passport fee", "en"), ("som tver passport", "en"), ("😀", "en"),
     ("", "en")],
)
def test_detect_language_by_script(text, lang):
    assert detect_language(text) == lang


def test_a_question_that_nfkc_expands_is_matched_on_no_more_than_the_usual_length():
    # U+FDFA becomes 18 characters: 4,096 of them were 73,728 characters to match
    expanded = normalize("\ufdfa" * 4096)
    assert expanded.startswith(normalize("\ufdfa"))
    assert len(expanded) <= 1000  # the longest question matched (normalize.MAX_CHARS)


def test_kakabat_only_marks_a_particle_as_exclaimed():
    assert normalize("អរគុណណា៎") == normalize("អរគុណណា")
    assert normalize("ចា៎") == "ចា"
