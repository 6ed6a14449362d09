"""Answer, suggest or admit not knowing: the one place the thresholds live.

A wrong answer from a government help line costs more than an honest "I don't know", so the
answer threshold is set where the dev set shows almost no wrong answers, and the band below it
offers choices instead of guessing. The numbers are calibrated with `govbot eval` (see README).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.matcher import Candidate

ANSWER = "answer"
SUGGEST = "suggest"
FALLBACK = "fallback"


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs (0–100); `margin`: how far the best must lead the runner-up to answer."""

    answer: float = 52.0
    suggest: float = 34.0
    margin: float = 4.0
    max_suggestions: int = 3


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Decision:
    """What to do with a question: the status, the answering candidate, and the alternatives."""

    status: str
    best: Candidate | None
    suggestions: tuple[Candidate, ...]


def decide(
    ranked: list[Candidate],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    topic_of: dict[str, str] | None = None,
) -> Decision:
    """Turn ranked candidates into a decision.

    Two close candidates of the same topic do not block an answer (either answers the question's
    topic); two close candidates of different topics do, and are offered as choices instead.
    """
    if not ranked or ranked[0].score < thresholds.suggest:
        return Decision(FALLBACK, None, ())
    best = ranked[0]
    runner_up = next(
        (
            c for c in ranked[1:]
            if topic_of is None or topic_of.get(c.entry_id) != topic_of.get(best.entry_id)
        ),
        None,
    )
    clear_lead = runner_up is None or best.score - runner_up.score >= thresholds.margin
    if best.score >= thresholds.answer and clear_lead:
        return Decision(ANSWER, best, ())
    choices = tuple(c for c in ranked if c.score >= thresholds.suggest)
    return Decision(SUGGEST, None, choices[: thresholds.max_suggestions])
