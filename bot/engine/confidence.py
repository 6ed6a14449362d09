"""How likely the best-ranked entry is the right answer: one logistic model over the ranking.

A score alone cannot say it. A long message from a worried parent scores 35 against every short
variant, yet its best entry is right; "open an ABA account as a foreigner" scores the same and
is not ours. What tells them apart is how the whole ranking looks: how far the best entry leads
the other topics, whether the entry's variants pooled together (BM25) agree with its best single
variant, and how much of the question is in words the knowledge base never uses. The model
weighs these, and `govbot fit` fits the weights on data (`bot/fitting.py`); the decision answers
when the probability reaches `Thresholds.certainty`.

Pure: candidates in, a number out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.engine.fitted import read_fitted
from bot.engine.matcher import NOT_OURS, Candidate

# What the model sees, each from the ranked candidates of one question:
# score        the best entry's score, 0–100
# lead         how far it leads the best entry of another topic (points)
# pooled       the best entry's pooled BM25 evidence, 0–1
# pooled_lead  that evidence minus the best other topic's among the ranked
# agrees       1 when the entry with the most pooled evidence is of the best entry's topic
# novel        share of the question's weight in words no entry uses, 0–1
# words        log(1 + content words): long messages score lower against short variants
FEATURES = ("score", "lead", "pooled", "pooled_lead", "agrees", "novel", "words")


def features(ranked: Sequence[Candidate], topic_of: Mapping[str, str] | None = None
             ) -> dict[str, float]:
    """The model's inputs for a ranking, best first, whose best is an entry (the questions
    editors marked "not ours" are left out: the decision never answers with them)."""
    ranked = [c for c in ranked if c.entry_id != NOT_OURS]
    best = ranked[0]

    def topic(candidate: Candidate) -> str:
        return topic_of.get(candidate.entry_id, candidate.entry_id) if topic_of else \
            candidate.entry_id

    others = [c for c in ranked[1:] if topic(c) != topic(best)]
    # With no other topic among the ranked, every other scores below the last of them; a lone
    # candidate has nothing to measure a lead against, so it is shown none.
    runner_up = others[0].score if others else ranked[-1].score
    pooled_runner_up = max((c.pooled for c in others), default=ranked[-1].pooled)
    most_pooled = max(ranked, key=lambda c: c.pooled)
    return {
        "score": best.score,
        "lead": best.score - runner_up,
        "pooled": best.pooled,
        "pooled_lead": best.pooled - pooled_runner_up,
        "agrees": float(topic(most_pooled) == topic(best)),
        "novel": best.novel,
        "words": math.log1p(best.words),
    }


@dataclass(frozen=True)
class Confidence:
    """A logistic model: probability = sigmoid(bias + Σ weight × feature)."""

    weights: Mapping[str, float] = field(default_factory=dict)
    bias: float = 0.0

    @classmethod
    def score_at_least(cls, answer: float) -> Confidence:
        """The model of a plain threshold: sure (≥ 0.5) exactly when the score reaches `answer`.
        What the engine uses when no fitted model is at hand, and what unit tests state rules
        with."""
        return cls({"score": 1.0}, -answer)

    def probability(self, values: Mapping[str, float]) -> float:
        """How likely the best entry is right, 0–1."""
        z = self.bias + sum(w * values.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 60.0), -60.0)))

    def as_dict(self) -> dict[str, object]:
        """The form `fitted.json` keeps it in."""
        return {"weights": {k: round(v, 4) for k, v in self.weights.items()},
                "bias": round(self.bias, 4)}

    @classmethod
    def from_dict(cls, data: object) -> Confidence | None:
        """The model written by `as_dict`; None when `data` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            return None
        weights = {k: float(v) for k, v in data["weights"].items()
                   if k in FEATURES and isinstance(v, (int, float))}
        bias = data.get("bias")
        return cls(weights, float(bias)) if weights and isinstance(bias, (int, float)) else None


def fit_confidence(rows: Sequence[Mapping[str, float]], right: Sequence[bool],
                   weight: Sequence[float], l2: float = 0.01) -> Confidence:
    """Logistic regression by Newton's method on standardised features, with a small L2 penalty
    so that a feature the data cannot pin down stays near 0. Deterministic: the same rows give
    the same model. (Seven weights: scikit-learn would add SciPy to the install for this.)"""
    x = np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float64)
    y = np.asarray(right, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    w = w / w.sum()
    mean = w @ x
    scale = np.sqrt(w @ (x - mean) ** 2)
    scale[scale < 1e-9] = 1.0  # a feature the same in every row says nothing
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.diag([l2] * len(FEATURES) + [0.0])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -60, 60)))
        gradient = z.T @ (w * (p - y)) + penalty @ beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    # Back to the features' own units, so fitted.json reads as points, shares and words.
    raw = beta[:-1] / scale
    return Confidence(dict(zip(FEATURES, map(float, raw), strict=True)),
                      float(beta[-1] - raw @ mean))


def fitted_confidence() -> Confidence | None:
    """The model `govbot fit` last wrote; None when there is none (a plain score threshold)."""
    return Confidence.from_dict(read_fitted().get("confidence"))
