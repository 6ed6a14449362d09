"""The confidence model: what the decision weighs besides the score, and how it is fitted.

What a user notices: a long question whose best entry stands far ahead of every other topic is
answered, while a question mostly in words the knowledge base never uses is not; and the same
data always gives the same model, so `govbot fit` can be reproduced.
"""

from __future__ import annotations

import json

import pytest

from bot.engine.confidence import FEATURES, Confidence, features, fit_confidence
from bot.engine.matcher import NOT_OURS, Candidate

TOPICS = {"passport-renew": "passport", "passport-fees": "passport", "tax-file": "tax",
          "evisa-apply": "evisa"}


def _c(entry_id: str, score: float, pooled: float = 0.0, novel: float = 0.0, words: int = 3
       ) -> Candidate:
    return Candidate(entry_id, score, "", "en", words=words, pooled=pooled, novel=novel)


def test_the_lead_is_over_the_best_entry_of_another_topic():
    ranked = [_c("passport-renew", 40, 0.6), _c("passport-fees", 39, 0.5), _c("tax-file", 25, 0.2)]
    values = features(ranked, TOPICS)
    assert values["lead"] == 15  # not 1: the runner-up of the same topic answers it too
    assert values["pooled_lead"] == pytest.approx(0.4)
    assert values["agrees"] == 1.0


def test_pooled_evidence_for_another_topic_is_disagreement():
    ranked = [_c("passport-renew", 40, 0.3), _c("tax-file", 30, 0.7)]
    values = features(ranked, TOPICS)
    assert values["agrees"] == 0.0 and values["pooled_lead"] == pytest.approx(-0.4)


def test_a_lone_candidate_is_shown_no_lead():
    values = features([_c("evisa-apply", 27, 0.26)], TOPICS)
    assert values["lead"] == 0 and values["pooled_lead"] == 0


def test_questions_marked_not_ours_are_not_a_rival():
    ranked = [_c("evisa-apply", 50, 0.5), _c(NOT_OURS, 49), _c("tax-file", 20, 0.1)]
    assert features(ranked, TOPICS)["lead"] == 30


def test_a_plain_threshold_is_a_model_too():
    model = Confidence.score_at_least(45)
    assert model.probability({"score": 45}) == 0.5
    assert model.probability({"score": 44}) < 0.5 < model.probability({"score": 46})


def test_the_model_survives_fitted_json_and_refuses_anything_else():
    model = Confidence({"score": 0.08, "novel": -1.2}, -4.5)
    assert Confidence.from_dict(json.loads(json.dumps(model.as_dict()))) == model
    assert Confidence.from_dict({"weights": {"shoe size": 1.0}, "bias": 0}) is None
    assert Confidence.from_dict({"weights": {"score": 1.0}}) is None
    assert Confidence.from_dict("not a model") is None


def _rows() -> tuple[list[dict[str, float]], list[bool]]:
    """Right answers lead clearly and use known words; wrong ones do neither."""
    rows, right = [], []
    for i in range(40):
        good = i % 2 == 0
        row = dict.fromkeys(FEATURES, 0.0)
        row.update(score=40 + (i % 7) + (10 if good else 0), lead=(12 if good else 2) + i % 3,
                   novel=0.0 if good else 0.4 + (i % 5) / 10, words=1.5)
        rows.append(row)
        right.append(good)
    # two hard cases, so that the classes overlap and the weights stay finite
    rows[0]["lead"], rows[1]["lead"] = 2, 12
    return rows, right


def test_the_fitted_model_prefers_a_clear_lead_in_known_words():
    rows, right = _rows()
    model = fit_confidence(rows, right, [1.0] * len(rows))
    clear = {**dict.fromkeys(FEATURES, 0.0), "score": 48, "lead": 13, "words": 1.5}
    unknown = {**clear, "lead": 2, "novel": 0.6}
    assert model.probability(clear) > 0.8 > 0.2 > model.probability(unknown)
    assert model.weights["lead"] > 0 > model.weights["novel"]


def test_fitting_is_reproducible():
    rows, right = _rows()
    assert fit_confidence(rows, right, [1.0] * 40) == fit_confidence(rows, right, [1.0] * 40)


def test_weights_count_each_row_as_often_as_told():
    rows, right = _rows()
    once = fit_confidence(rows + rows[:2], right + right[:2], [1.0] * 42)
    weighted = fit_confidence(rows, right, [2.0, 2.0] + [1.0] * 38)
    assert once.weights == pytest.approx(weighted.weights, abs=1e-6)
