"""Accuracy floors on the dev set: a change that makes the bot answer worse fails CI.

Floors sit a little below the figures measured when the thresholds were calibrated (README,
"Accuracy"), so noise from an added entry does not fail the build but a real regression does.
The held-out and independent sets have their own floors: neither was used to set thresholds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation import evaluate, read_labelled
from bot.model import TOPIC_SLUGS

DATA = Path(__file__).parent / "data"

FLOORS = {
    # file: {lang: (min answered-right %, max answered-wrong %, min out-of-scope not answered %)}
    # Raised on 2026-12-07 (round 7's work: scope knowledge, romanised spellings, three entries)
    # to about one question under each figure then measured (README, "Accuracy"), and again after
    # round 8's (scam questions, bank names, 241 more not-ours questions, colloquial Khmer
    # variants, romanised outlines) where a figure rose, and after round 9's (romanised
    # spellings, not-ours questions, situation variants), round 10's (romanised folds) and
    # round 11's (long messages, romanised spellings, scope fixes): one question under the figure
    # measured at the end of each round (out of scope too); never lowered.
    "dev_questions.jsonl": {"en": (95.1, 2.0, 95.0), "km": (96.5, 1.5, 95.0)},
    "holdout_questions.jsonl": {"en": (90.0, 2.5, 96.0), "km": (96.2, 1.5, 96.5)},
    # Written by people who saw neither the knowledge base nor the tests (README, "Accuracy").
    "independent_questions.jsonl": {"en": (90.9, 1.0, 97.5), "km": (91.0, 1.0, 95.5)},
    # Round 4, written by two more people who saw neither, before pooled matching and the
    # fitted decision were built, and never tuned on: measured before (en 86.7 / 1.5 / 91.4,
    # km 88.5 / 2.3 / 90.0) and after (README, "Accuracy"). Floors just under the figures after.
    # Raised once the fitted confidence model and 18 more entries landed; the refit on the
    # larger dev set (dev2) then traded some right answers for refusals of what is not ours
    # (en 89.6 / 0.7 / 97.1, km 88.5 / 0.8 / 87.5). Every floor stays above this file's floors
    # before that work (86 / 1.5 / 94 and 86 / 1.5 / 85).
    "independent_round4_questions.jsonl": {"en": (92.5, 1.5, 97.0), "km": (92.3, 1.0, 92.5)},
    # Round 5, by two more writers who saw neither, measured on main before the confidence
    # model and the new entries (en 83.5 / 0.0 / 91.7, km 86.1 / 0.0 / 88.3), never tuned on.
    # After the refit on dev2: en 86.1 / 0.0 / 91.7, km 87.8 / 0.0 / 88.3 (README, "Accuracy").
    "independent_round5_questions.jsonl": {"en": (93.0, 1.0, 95.0), "km": (93.9, 1.0, 95.0)},
    # Round 6, by two more writers who saw neither, measured on main before the second dev set
    # and the scope additions (en 87.7 / 1.9 / 91.5, km 84.8 / 2.9 / 85.0) and after (en 84.9 /
    # 0.9 / 94.9, km 85.7 / 2.9 / 88.3), never tuned on. Floors just under the figures after.
    "independent_round6_questions.jsonl": {"en": (86.7, 1.5, 96.5), "km": (93.3, 2.0, 95.0)},
    # Round 7, by two more writers who saw neither, measured on main before this round's work
    # (9541dbe: en 89.2 / 0.8 / 90.0, km 87.5 / 0.0 / 92.0) and after it (en 90.0 / 0.8 / 94.0,
    # km 90.0 / 0.0 / 96.0; km 90.8 % right after the last knowledge changes), never tuned on: its
    # misses were not read. Floors under the after.
    "independent_round7_questions.jsonl": {"en": (92.5, 1.0, 96.0), "km": (92.5, 1.0, 98.0)},
    # Round 8, by two more writers who saw neither (nor any earlier round), measured on main
    # before any change it judges (848830a: en 94.2 / 1.7 / 92.0, km 86.0 / 3.3 / 91.8; top-1
    # 98.3 / 94.2 against pooled BM25's 96.7 / 88.4), never tuned on: its misses were not read.
    # After round 8's work: en 95.0 / 1.7 / 92.0, km 88.4 / 2.5 / 93.9. Floors under the after.
    "independent_round8_questions.jsonl": {"en": (95.0, 2.0, 90.0), "km": (90.0, 3.0, 95.5)},
    # Round 9, by two more writers who saw neither (nor any earlier round), measured on main
    # before any change it judges (29c3e9c: en 93.0 / 1.7 / 92.7, km 85.2 / 3.5 / 92.7), never
    # tuned on: its misses are not read. After round 9's work: en 94.8 / 1.7 / 92.7, km 85.2 /
    # 3.5 / 96.4. Floors under the after.
    "independent_round9_questions.jsonl": {"en": (93.5, 2.0, 91.0), "km": (89.5, 3.5, 94.5)},
    # Round 10, by two more writers who saw neither (nor any earlier round), measured on main
    # before any change it judges (a4e79a9: en 91.3 / 0.0 / 98.2, km 84.3 / 0.9 / 96.4; top-1
    # 96.5 / 93.0 against pooled BM25's 94.8 / 93.9), never tuned on: its misses are not read.
    # After round 10's work (romanised folds, texting forms, the one-time-code warning): en
    # 92.2 / 0.0 / 98.2, km 86.1 / 0.9 / 96.4. Floors one question under the after.
    "independent_round10_questions.jsonl": {"en": (91.3, 1.0, 96.0), "km": (86.0, 2.0, 94.5)},
    # Round 11, by two more writers who saw neither (nor any earlier round): 340 questions, of
    # which the 34 that are word for word a question of an earlier set were left out, so that
    # every one is unseen phrasing. Measured on main before any change it judges (dee1564: en
    # 86.8 / 0.9 / 97.3, km 94.0 / 1.7 / 97.8; top-1 93.4 / 96.6 against pooled BM25's 96.2 /
    # 94.0), never tuned on: its misses are not read. After round 11's work (77cfddd): en 86.8 /
    # 0.0 / 97.3, km 94.9 / 1.7 / 100.0. Floors one question under the after.
    "independent_round11_questions.jsonl": {"en": (86.7, 1.0, 94.5), "km": (94.8, 2.6, 97.5)},
    # Round 12, by two more writers who saw neither (nor any earlier round): 330 questions, of
    # which the 16 that are word for word a question of an earlier set were left out. Measured
    # on main before any change it judges (0ecb817: en 91.7 / 0.9 / 93.0, km 87.3 / 0.8 /
    # 100.0; top-1 95.4 / 93.2 against pooled BM25's 95.4 / 88.1), never tuned on: its misses
    # are not read. Floors one question under the before.
    "independent_round12_questions.jsonl": {"en": (90.7, 1.9, 90.5), "km": (86.4, 1.7, 97.5)},
    # Round 13, by two more writers who saw neither (nor any earlier round): 335 questions, of
    # which the 13 that are word for word a question of an earlier set were left out. Measured
    # on main before any change it judges (5411f0d: en 83.2 / 1.8 / 95.3, km 89.3 / 0.0 / 93.2;
    # top-1 93.8 / 96.7 against pooled BM25's 92.0 / 91.0), never tuned on: its misses are not
    # read. Floors one question under the before.
    "independent_round13_questions.jsonl": {"en": (84.0, 2.7, 93.0), "km": (89.3, 0.9, 90.9)},
    # Round 14, by two more writers who saw neither (nor any earlier round): 349 questions, of
    # which the 27 that are word for word a question of an earlier set were left out. Measured
    # on main before any change it judges (5ce0e64: en 83.8 / 0.0 / 100.0, km 91.7 / 0.0 /
    # 100.0; top-1 93.3 / 97.0 against pooled BM25's 93.3 / 85.6), never tuned on: its misses
    # are not read. Floors one question under the before.
    "independent_round14_questions.jsonl": {"en": (82.8, 1.0, 97.6), "km": (90.9, 0.8, 97.6)},
    # 60 long messages about something else that share our services' words (a bank's loan, a
    # lost wallet with no ID in it, another country's licence), by a writer who saw neither the
    # knowledge base nor the tests, written to check the rule for long messages
    # (`Thresholds.long_support`): en 96.7, km 100.0 % refused, before and after it. Floors one
    # question under.
    "long_near_miss_questions.jsonl": {"en": (0.0, 0.0, 93.0), "km": (0.0, 0.0, 96.5)},
    # The second dev set (400 questions by two writers who saw neither), used by `govbot fit`.
    "dev2_questions.jsonl": {"en": (95.1, 1.5, 96.0), "km": (93.1, 1.0, 97.5)},
    # A third dev set (400 by two more writers who saw neither), written before round 7 and
    # measured at en 90.4 / 0.7 / 93.8, km 86.9 / 1.5 / 88.9 before any change it informed.
    "dev3_questions.jsonl": {"en": (97.0, 1.0, 96.5), "km": (93.4, 1.0, 98.0)},
    # A fourth dev set (380 by two more writers who saw neither, with more long messages, scam
    # questions and romanised Khmer), written during round 8's work and measured on main before
    # any change (848830a: en 83.2 / 1.6 / 96.4, km 79.3 / 2.8 / 96.4); tuned on.
    "dev4_questions.jsonl": {"en": (88.8, 2.5, 94.5), "km": (94.4, 1.5, 98.0)},
    # A fifth dev set (380 by two more writers who saw neither), written with round 9 and
    # measured on main before any change (29c3e9c: en 91.2 / 0.0 / 94.5, km 88.6 / 0.7 / 91.7);
    # tuned on.
    "dev5_questions.jsonl": {"en": (96.8, 1.0, 96.0), "km": (92.8, 1.5, 95.0)},
    # A sixth dev set (380 by two more writers who saw neither, written with round 10): 100
    # English and 80 Khmer questions, and 200 romanised Khmer ones by six imagined writers with
    # their own spelling habits. Measured on main before any change (a4e79a9: en 88.3 / 1.7 /
    # 100.0, km 65.2 / 2.0 / 98.8; romanised 57.3 % right); tuned on (after: en 91.7 / 0.0 /
    # 100.0, km 76.8 / 1.5 / 97.6).
    "dev6_questions.jsonl": {"en": (90.0, 1.5, 97.5), "km": (79.7, 2.0, 97.5)},
    # A seventh dev set (380 by two more writers who saw neither, written with round 11): 100
    # English and 90 Khmer questions with texting, long messages and near-misses, and 190
    # romanised Khmer ones. Measured on main before any change (dee1564: en 88.0 / 0.0 / 96.0,
    # km 84.9 / 0.5 / 100.0; romanised 81.4 % right); tuned on (after: en 89.3 / 0.0 / 96.0,
    # km 87.8 / 0.0 / 100.0). Floors one question under the after.
    "dev7_questions.jsonl": {"en": (88.0, 1.5, 92.0), "km": (90.2, 0.5, 98.5)},
    # An eighth dev set, English only (240 by two more writers who saw neither, written after
    # round 11's work: plain questions for every topic, texting, a few long messages, 40
    # near-misses). Measured on main before any change it informed (225f3b4: 94.0 / 1.5 /
    # 100.0; top-1 98.5, as pooled BM25); after the one change it informed (a question
    # whether the bot can be trusted stays the bot's): 94.5 / 1.0 / 100.0. Floors one under.
    "dev8_questions.jsonl": {"en": (94.5, 1.5, 97.5)},
    # A ninth dev set (345 by two more writers who saw neither, written with round 13; the 24
    # that are word for word a question of an earlier set left out): plain questions, texting,
    # long messages, 50 romanised Khmer and 80 near-misses. Measured on main before any change
    # (5411f0d: en 83.0 / 0.9 / 94.7, km 88.4 / 0.0 / 95.2); tuned on (after: en 84.8 / 0.9 /
    # 94.7, km 89.9 / 0.0 / 95.2). Floors one under the after. The Khmer floors of dev4 to dev7
    # rose with the same romanised spellings, to one question under their new figures.
    "dev9_questions.jsonl": {"en": (84.8, 1.8, 92.1), "km": (89.9, 0.8, 92.9)},
    # A tenth dev set (348 by two more writers who saw neither, written with round 14; the 26
    # that are word for word a question of an earlier set or of round 14 left out). Measured on
    # main before any change (5ce0e64: en 83.6 / 0.9 / 97.5, km 86.0 / 0.0 / 90.7; top-1 96.4
    # / 98.4 against pooled BM25's 92.7 / 91.5); tuned on (after round 14's work: en 84.5 /
    # 0.9 / 97.5, km 86.8 / 0.0 / 90.7). Right floors one question under the after.
    "dev10_questions.jsonl": {"en": (83.6, 1.9, 95.0), "km": (86.0, 0.8, 88.3)},
    # Round 15, by two more writers who saw neither (nor any earlier round): 367 questions, of
    # which the 31 that are word for word a question of an earlier set were left out. Measured
    # on main before any change it judges (edb8e89: en 89.7 / 1.0 / 98.2, km 90.6 / 0.0 / 98.2;
    # top-1 94.8 / 97.7 against pooled BM25's 94.8 / 87.5), never tuned on: its misses are not
    # read. Floors one question under the before.
    "independent_round15_questions.jsonl": {"en": (88.6, 2.1, 96.4), "km": (89.8, 0.8, 96.3)},
    # An eleventh dev set (355 by two more writers who saw neither, written with round 15; the
    # 35 that are word for word a question of an earlier set or of round 15 left out). Measured
    # on main before any change (edb8e89: en 88.4 / 0.0 / 92.2, km 90.8 / 0.0 / 96.3; top-1
    # 95.8 / 96.7 against pooled BM25's 94.7 / 90.8); tuned on. Floors one question under.
    "dev11_questions.jsonl": {"en": (87.3, 1.1, 90.1), "km": (90.0, 0.9, 94.4)},
    # Round 16, by two more writers who saw neither (nor any earlier round): 367 questions, of
    # which the 29 that are word for word a question of an earlier set were left out. Measured
    # on main before any change it judges (2d870d4: en 79.8 / 0.0 / 96.8, km 91.4 / 0.0 / 91.7;
    # top-1 94.9 / 94.5 against pooled BM25's 88.9 / 94.5), never tuned on: its misses are not
    # read. Floors one question under the before.
    "independent_round16_questions.jsonl": {"en": (78.8, 1.0, 95.2), "km": (90.6, 0.8, 89.6)},
    # A twelfth dev set (372 by two more writers who saw neither, written with round 16; the
    # 36 that are word for word a question of an earlier set or of round 16 left out). Measured
    # on main before any change (2d870d4: en 78.5 / 0.0 / 90.8, km 90.1 / 0.0 / 91.5; top-1
    # 97.8 / 95.4 against pooled BM25's 91.4 / 92.4); tuned on. Floors one question under.
    "dev12_questions.jsonl": {"en": (77.4, 1.1, 89.2), "km": (89.3, 0.8, 89.4)},
}


def test_dev_set_is_large_and_balanced():
    rows = read_labelled((DATA / "dev_questions.jsonl").open(encoding="utf-8"))
    langs = [r.lang for r in rows]
    assert len(rows) >= 200
    assert abs(langs.count("en") - langs.count("km")) <= len(rows) * 0.1
    assert sum(not r.topics for r in rows) >= 40


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_floors(bundled_assistant, name):
    rows = read_labelled((DATA / name).open(encoding="utf-8"))
    reports = evaluate(bundled_assistant, rows)
    for lang, (right, wrong, oos) in FLOORS[name].items():
        figures = reports[lang].as_dict()
        assert figures["answered_right_pct"] >= right, (lang, figures)
        assert figures["answered_wrong_pct"] <= wrong, (lang, figures)
        assert figures["out_of_scope_not_answered_pct"] >= oos, (lang, figures)


HEAD = DATA / "head_questions.jsonl"


def _head_rows() -> list[dict]:
    return [json.loads(line) for line in HEAD.open(encoding="utf-8") if line.strip()]


def test_head_questions_cover_every_topic_in_both_languages(bundled_assistant):
    """The plain question for every intent: each topic is asked in both languages, and each
    label names an entry the bot really has."""
    rows = _head_rows()
    assert len(rows) >= 200
    entries = bundled_assistant.snapshot.entries
    assert [r["entry"] for r in rows if r["entry"] not in entries] == []
    asked = {(entries[r["entry"]].topic, r["lang"]) for r in rows}
    assert {(t, lang) for t in TOPIC_SLUGS for lang in ("en", "km")} - asked == set()


def test_head_questions_are_all_answered_with_their_entry(bundled_assistant):
    """The questions people ask most are always answered right: not a choice, not a sibling."""
    wrong = []
    for row in _head_rows():
        answer = bundled_assistant.ask(row["q"], row["lang"])
        got = answer.entry.id if answer.status == "answer" and answer.entry else answer.status
        if got != row["entry"]:
            wrong.append(f'{row["q"]!r} ({row["lang"]}): {got}, want {row["entry"]}')
    assert wrong == []


def test_eval_counts_a_sibling_answer_wrong_where_the_row_names_its_entry(bundled_assistant):
    """`govbot eval` on head questions judges as CI does: the named entry, not just its topic."""
    from bot.evaluation import Labelled

    question = "how do I renew my passport"
    right = Labelled(question, "en", ("passport",), entry="passport-renew")
    sibling = Labelled(question, "en", ("passport",), entry="passport-fees")
    any_of_topic = Labelled(question, "en", ("passport",))
    figures = {name: evaluate(bundled_assistant, [row])["en"].as_dict()
               for name, row in (("right", right), ("sibling", sibling), ("topic", any_of_topic))}
    assert figures["right"]["answered_right_pct"] == 100.0
    assert figures["topic"]["answered_right_pct"] == 100.0
    assert figures["sibling"]["answered_wrong_pct"] == 100.0
