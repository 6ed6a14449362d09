"""Answer, suggest or admit not knowing: the one place the thresholds live.

A wrong answer from a government help line costs more than an honest "I don't know". The engine
answers when its confidence model (`engine.confidence`, fitted by `govbot fit`) is sure enough
that the best entry is right, and the best entry leads every other topic and every question
editors marked not ours; below that it offers choices instead of guessing, and with nothing
close it says it does not know.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

from bot.engine.confidence import Confidence, features, fitted_confidence
from bot.engine.fitted import fitted
from bot.engine.matcher import NOT_OURS, WARNING_TOPICS, Candidate, Said

ANSWER = "answer"
SUGGEST = "suggest"
FALLBACK = "fallback"


@dataclass(frozen=True)
class Thresholds:
    """When to answer: `confidence` gives the probability that the best entry is right, and the
    engine answers from `certainty` up. `suggest`: the score (0–100) from which an entry is
    offered as a choice; `margin`: how far the best must lead another topic, and the closest
    question editors marked not ours, to be answered at all.
    """

    certainty: float = 0.5
    confidence: Confidence = field(default_factory=lambda: Confidence.score_at_least(45.0))
    suggest: float = 32.0
    margin: float = 3.0
    # A question of one content word ("renew", "fee", "lost") says what is done but not to what:
    # several services share the word, so it needs a wider lead to be answered; below it the
    # person gets the services as choices, one tap away. A rule of the product, not fitted: the
    # labelled sets hold too few one-word questions to weigh it.
    short_margin: float = 8.0
    max_suggestions: int = 3
    # Small talk answers only a message that is small talk: its variants are a word or two
    # ("see you", "អរគុណច្រើន"), which any longer question may contain ("who can see what I type"),
    # so it needs a near-exact match, whatever the model says; or a message that greets or
    # thanks and asks nothing ("thanks a lot, that was really helpful", "thx bro", but not "ok
    # but how": `Candidate.chat`), from the score at which it would be offered (`suggest`).
    small_talk_topics: tuple[str, ...] = ("greeting",)
    small_talk_answer: float = 50.0
    # A close call between a scam warning (`matcher.WARNING_TOPICS`) and the service it imitates
    # ("SMS says my passport needs an extra fee, legit?") is answered with the warning from this
    # score up: the message is about something suspicious, and the warning's related buttons
    # lead to the service.
    warning_answer: float = 40.0
    # A question asking whether something is a scam ("passport in 2 days for $300, legit?",
    # `Scope.suspicion`) is answered with the best-ranked warning from this score up, however
    # high the service it names ranks: the person needs the warning, and its related buttons
    # lead to the service. Low, because such a message is mostly about the service; but within
    # `suspicion_gap` of the best entry, so that "is this bot legit" (about-bot, 75) is not
    # answered with a loan-scam warning that scores 25.
    suspicion_answer: float = 15.0
    suspicion_gap: float = 20.0
    # Whether the bot itself can be trusted ("can I trust your answers?", "is this bot legit?")
    # is a question about the bot: best answered by these topics, it is not sent to a warning.
    about_the_bot: tuple[str, ...] = ("about-bot",)
    # A message of several sentences is answered when this many of its sentences, asked alone,
    # point to one topic with an entry that would at least be offered as a choice (`suggest`),
    # more of them than to any other topic, however unsure the model is and however low the
    # whole message scores: a long story scores low against short variants whatever it is
    # about, and its story words can even lift another topic to the top ("We opened a bakery
    # … our company certificate … How do we register?" ranks a civil certificate first), while
    # sentences that agree say what it is about; but then the message's last sentence, its
    # question, must be one of them. It is answered with the entry the last of them points to
    # (`_agreed`), unless that entry is about somewhere else. Never when the question asks
    # whether something is a scam, nor with a scam warning near enough that a scam question
    # would get it (`suspicion_gap`): the story may be the scam. A rule of the
    # product, not fitted: checked on the dev sets' long messages and on 60 long near-miss
    # messages written to test it (tests/data/long_near_miss_questions.jsonl), of which it
    # answers none.
    long_support: int = 2


def _fitted_thresholds() -> Thresholds:
    model = fitted_confidence()
    known = {f.name for f in fields(Thresholds)}
    values = {k: v for k, v in fitted("thresholds").items() if k in known}
    return Thresholds(**values, **({"confidence": model} if model else {}))


DEFAULT_THRESHOLDS = _fitted_thresholds()


# Why a question was decided the way it was (`Decision.reason`): `govbot eval --reasons` counts
# them for the questions not answered right, so that the next change aims where most are lost.
SURE = "sure enough"
SCAM_QUESTION = "asks whether something is a scam"
SENTENCES_AGREE = "its sentences agree"
WARNING_CLOSE_CALL = "a scam warning in a close call"
NOTHING_CLOSE = "nothing close enough to offer"
SENTENCES_OFFER = "a long message offered what its sentences point to"
CLOSEST_NOT_OURS = "closest to a question marked not ours"
SOMEONE_ELSES = "someone else's service"
ELSEWHERE = "about somewhere else"
CLOSE_CALL = "another topic within the margin"
NEAR_NOT_OURS = "a question marked not ours within the margin"
SMALL_TALK = "small talk below its threshold"
NOT_SURE = "the model not sure enough"


@dataclass(frozen=True)
class Decision:
    """What to do with a question: the status, the answering candidate, the alternatives, and
    the reason (one of the constants above)."""

    status: str
    best: Candidate | None
    suggestions: tuple[Candidate, ...]
    reason: str = ""


def decide(
    ranked: list[Candidate],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    topic_of: dict[str, str] | None = None,
) -> Decision:
    """Turn ranked candidates into a decision.

    Two close candidates of the same topic do not block an answer (either answers the question's
    topic); two close candidates of different topics do, and are offered as choices instead,
    unless one is a scam warning (`matcher.WARNING_TOPICS`); so does a question marked not ours
    within the margin (only among the ranked candidates). A question asking whether
    something is a scam is answered with the best warning close enough to the best entry
    (`Thresholds.suspicion_answer`), unless the closest is a question marked not ours ("is the
    Korea work-visa agent legit" is not ours, whatever warning it resembles). A best candidate
    about somewhere or something else (`engine.scope`) is offered, never answered; and not even
    offered when a question marked not ours is within the margin of it.
    """
    if not ranked or ranked[0].entry_id == NOT_OURS:
        # Nothing close, or closest to a question editors marked "not ours".
        return Decision(FALLBACK, None, (), CLOSEST_NOT_OURS if ranked else NOTHING_CLOSE)
    not_ours = next((c for c in ranked if c.entry_id == NOT_OURS), None)
    ranked = [c for c in ranked if c.entry_id != NOT_OURS]
    suspected = _suspected(ranked, thresholds, topic_of)
    if suspected is not None:
        return Decision(ANSWER, suspected, (), SCAM_QUESTION)
    best = ranked[0]
    runner_up = next((c for c in ranked[1:] if _rivals(c, best, thresholds, topic_of)), None)
    # Two topics within the margin are a choice for the user, whatever the score; so is a
    # question about as close to one editors marked not ours as to the best entry.
    margin = thresholds.short_margin if best.words <= 1 else thresholds.margin
    close_call = runner_up is not None and best.score - runner_up.score < margin
    maybe_not_ours = not_ours is not None and best.score - not_ours.score < margin
    clear = not close_call and not maybe_not_ours
    if _small_talk(best, thresholds, topic_of):
        confident = clear and best.score >= (
            thresholds.suggest if best.chat else thresholds.small_talk_answer)
    else:
        confident = clear and thresholds.confidence.probability(
            features(ranked, topic_of)) >= thresholds.certainty
    if confident and not best.elsewhere:
        return Decision(ANSWER, best, (), SURE)
    agreed = None if maybe_not_ours else _agreed(ranked, thresholds, topic_of, not_ours)
    if agreed is not None:
        return Decision(ANSWER, agreed, (), SENTENCES_AGREE)
    if close_call and not maybe_not_ours:
        # A close call between a service and the warning about a scam imitating it.
        warning = next((c for c in (best, runner_up)
                        if c is not None and _warning(c, thresholds, topic_of)), None)
        if warning is not None:
            return Decision(ANSWER, warning, (), WARNING_CLOSE_CALL)
    if best.elsewhere and maybe_not_ours:
        # About someone else's service ("I forgot my ABA app password"), and as close to a
        # question editors marked not ours as to any entry: nothing of ours to offer.
        return Decision(FALLBACK, None, (), SOMEONE_ELSES)
    choices = tuple(c for c in ranked if c.score >= thresholds.suggest)
    if not choices:
        pointed = () if maybe_not_ours else _pointed_to(ranked, thresholds, topic_of)
        if pointed:
            return Decision(SUGGEST, None, pointed[: thresholds.max_suggestions],
                            SENTENCES_OFFER)
        # Below what would be offered, the low score is the cause, whatever else held it back.
        return Decision(FALLBACK, None, (), NOTHING_CLOSE)
    reason = (ELSEWHERE if best.elsewhere else CLOSE_CALL if close_call
              else NEAR_NOT_OURS if maybe_not_ours
              else SMALL_TALK if _small_talk(best, thresholds, topic_of) else NOT_SURE)
    return Decision(SUGGEST, None, choices[: thresholds.max_suggestions], reason)


def _pointed_to(ranked: list[Candidate], thresholds: Thresholds,
                topic_of: dict[str, str] | None) -> tuple[Candidate, ...]:
    """The entries of a long message's best topic, best first, when one of its sentences,
    asked alone, scores an offer for that topic too (`Thresholds.suggest`). A long story scores
    low as a whole against short variants ("My daughter is 15 … How can they sign up for the
    metaverse competition?"); "I don't know" would waste what the message and its sentence
    agree on, and choices are no answer: the person picks, or asks again. Not when the best
    entry is about somewhere else (nor, the caller sees to it, as close to a question marked
    not ours)."""
    best = ranked[0]
    if best.elsewhere or not best.sentences or topic_of is None:
        return ()
    topic = topic_of.get(best.entry_id)
    if not any(said.topic == topic for said in _offering(best, thresholds)):
        return ()
    return tuple(c for c in ranked if not c.elsewhere and topic_of.get(c.entry_id) == topic)


def weighed_by_model(ranked: list[Candidate], thresholds: Thresholds = DEFAULT_THRESHOLDS,
                     topic_of: dict[str, str] | None = None) -> bool:
    """Whether the confidence model can decide this ranking: not when nothing is ranked, when the
    closest is a question marked not ours, when the best entry is about somewhere else (never
    answered), is small talk (its own rule) or is a question whether something is a scam that a
    warning answers (`Thresholds.suspicion_answer`). The rows `govbot fit` learns from."""
    if not ranked or ranked[0].entry_id == NOT_OURS:
        return False
    if _suspected(ranked, thresholds, topic_of) is not None:
        return False
    return not ranked[0].elsewhere and not _small_talk(ranked[0], thresholds, topic_of)


def _small_talk(candidate: Candidate, thresholds: Thresholds, topic_of: dict[str, str] | None
                ) -> bool:
    return topic_of is not None and topic_of.get(candidate.entry_id) in thresholds.small_talk_topics


def _warning(candidate: Candidate, thresholds: Thresholds, topic_of: dict[str, str] | None,
             floor: float | None = None) -> bool:
    return (topic_of is not None and not candidate.elsewhere
            and topic_of.get(candidate.entry_id) in WARNING_TOPICS
            and candidate.score >= (thresholds.warning_answer if floor is None else floor))


def _suspected(ranked: list[Candidate], thresholds: Thresholds,
               topic_of: dict[str, str] | None) -> Candidate | None:
    """The warning that answers a question asking whether something is a scam; None when the
    question does not ask that or no warning ranks high enough."""
    if not ranked or not ranked[0].suspicious:
        return None
    if topic_of is not None and topic_of.get(ranked[0].entry_id) in thresholds.about_the_bot:
        return None
    floor = _near_warning(ranked[0], thresholds)
    # Of the warnings close enough, the one whose questions as a whole speak most of this one
    # (pooled evidence): a broker's offer is the extra-fees warning, even when one variant of
    # "how to report a scam" happens to score a point higher.
    return max((c for c in ranked if _warning(c, thresholds, topic_of, floor)),
               key=lambda c: (c.pooled, c.score), default=None)


def _agreed(ranked: list[Candidate], thresholds: Thresholds,
            topic_of: dict[str, str] | None, not_ours: Candidate | None = None
            ) -> Candidate | None:
    """The entry that answers a long message whose sentences agree on a topic
    (`Thresholds.long_support`): the entry the last of those sentences points to, where people
    ask their question after the story ("My grandmother never had an ID card … How can she get
    one at her age?" is a first card, though "her name" in the story reads like a correction),
    when the whole message ranks it too; else the whole message's best entry of that topic.

    The topic need not be the whole message's best, nor score an offer as a whole, when the
    message's last sentence, its question, is one of those that agree: a story can name a
    service twice and then ask about something else ("My e-visa was approved. The PDF is on my
    phone. What is the best tuk tuk app?"). None when they do not agree, when the best entry or
    the chosen one is about somewhere else, when a question marked not ours is within the
    margin of the chosen one, or when a scam warning is near it."""
    best = ranked[0]
    if topic_of is None or best.suspicious or best.elsewhere or not best.sentences:
        return None
    voting = _offering(best, thresholds)
    leading = Counter(said.topic for said in voting).most_common(2)
    if (not leading or leading[0][1] < thresholds.long_support
            or (len(leading) > 1 and leading[1][1] == leading[0][1])):
        return None
    topic = leading[0][0]
    asked = [said.entry_id for said in voting if said.topic == topic][-1]
    chosen = next((c for c in ranked if c.entry_id == asked), None) or next(
        (c for c in ranked if topic_of.get(c.entry_id) == topic), None)
    if chosen is None or chosen.elsewhere:
        return None
    asked_last = best.sentences[-1]
    if not (chosen is best and best.score >= thresholds.suggest) and not (
            asked_last.topic == topic and asked_last in voting):
        return None
    if not_ours is not None and chosen.score - not_ours.score < thresholds.margin:
        return None
    near = _near_warning(chosen, thresholds)
    if any(_warning(c, thresholds, topic_of, floor=near) for c in ranked if c is not chosen):
        return None
    return chosen


def _offering(best: Candidate, thresholds: Thresholds) -> list[Said]:
    """The sentences of a long message that, asked alone, score an offer (`suggest`): the
    ones that say what it is about."""
    return [said for said in best.sentences if said.score >= thresholds.suggest]


def _near_warning(best: Candidate, thresholds: Thresholds) -> float:
    """The score from which a warning is near enough to `best` that a question asking whether
    something is a scam would get it (`Thresholds.suspicion_answer`, `suspicion_gap`)."""
    return max(thresholds.suspicion_answer, best.score - thresholds.suspicion_gap)


def _rivals(
    other: Candidate, best: Candidate, thresholds: Thresholds, topic_of: dict[str, str] | None
) -> bool:
    """Whether `other` competes with `best`: another topic, and one that could be answered
    itself. Small talk below its own threshold could not ("goodbye bot" does not make "bot nis
    chhleuy ban ey klah" a close call)."""
    if topic_of is None:
        return True
    if topic_of.get(other.entry_id) == topic_of.get(best.entry_id):
        return False
    return not (_small_talk(other, thresholds, topic_of)
                and other.score < thresholds.small_talk_answer)
