"""Matching and deciding, as a user sees it: the right entry, in their language, or an honest no."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

import bot.engine.decide as decision
from bot.engine.confidence import Confidence
from bot.engine.decide import Thresholds, decide
from bot.engine.matcher import NOT_OURS, Candidate, Matcher, Said
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer, romanised_fold, romanised_outline, romanised_skeleton
from bot.model import Entry, EntryText, Question


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("How can I apply for an e-visa to Cambodia?", "evisa-apply"),
        ("how much does the evisa cost", "evisa-fees"),
        ("how to aply for evisa", "evisa-apply"),  # typo
        ("តើខ្ញុំអាចស្នើសុំទិដ្ឋាការតាមអនឡាញយ៉ាងដូចម្ដេច", "evisa-apply"),  # coeng-Da spelling
        ("វីសាប៉ុន្មាន", "evisa-fees"),  # colloquial វីសា → ទិដ្ឋាការ by synonym
        ("ធ្វើកាតខ្មែរនៅណា", "id-card-apply"),  # កាតខ្មែរ → អត្តសញ្ញាណប័ណ្ណ
        ("តើ\u200bខ្ញុំ\u200bធ្វើ\u200bអត្តសញ្ញាណប័ណ្ណ\u200bដោយ\u200bរបៀប\u200bណា", "id-card-apply"),
    ],
)
def test_questions_get_the_right_answer(assistant, question, entry_id):
    answer = assistant.ask(question)
    assert answer.status == "answer", answer
    assert answer.entry.id == entry_id


def test_reply_language_follows_the_question_script(assistant):
    en = assistant.ask("how much does the evisa cost").to_json()
    km = assistant.ask("តម្លៃទិដ្ឋាការ e-Visa ប៉ុន្មាន").to_json()
    assert (en["lang"], en["query_lang"], en["entry"]["title"]) == (
        "en", "en", "How much the e-Visa costs")
    assert (km["lang"], km["query_lang"], km["entry"]["title"]) == ("km", "km", "តម្លៃ e-Visa")


def test_explicit_language_overrides_the_script(assistant):
    reply = assistant.ask("evisa fee", "km").to_json()
    assert reply["lang"] == "km" and reply["query_lang"] == "en"
    assert reply["entry"]["title"] == "តម្លៃ e-Visa"


def test_json_reply_follows_the_contract(assistant):
    reply = assistant.ask("how do I apply for an e-visa").to_json()
    assert set(reply) == {"status", "lang", "query_lang", "score", "entry", "suggestions"}
    assert set(reply["entry"]) == {
        "id", "topic", "title", "answer", "official_url", "sources", "reviewed"}
    assert reply["entry"]["reviewed"] == "2026-11-20"
    assert 0 < reply["score"] <= 1
    # for an answer, suggestions are the related entries
    assert [s["id"] for s in reply["suggestions"]] == ["evisa-fees"]
    assert set(reply["suggestions"][0]) == {"id", "topic", "title", "score"}


@pytest.mark.parametrize(
    "question",
    ["weather in siem reap tomorrow", "ម៉ោងប៉ុន្មានហើយ", "best pizza in phnom penh",
     "", "   ", "😀😀😀", "?!…", "\x00\x01\x1b[31m", "a" * 10_000],
)
def test_out_of_scope_and_odd_input_are_not_answered(assistant, question):
    reply = assistant.ask(question).to_json()
    assert reply["status"] in ("fallback", "suggest")
    assert reply["entry"] is None


def test_near_miss_with_another_country_is_not_answered(assistant):
    assert assistant.ask("How do I get a Thai visa?").status != "answer"


def _above(answer: float, **kwargs: float) -> Thresholds:
    """Thresholds whose model is sure exactly from the score `answer` up."""
    return Thresholds(confidence=Confidence.score_at_least(answer), **kwargs)


def _weighing_the_lead() -> Thresholds:
    """Sure when score + 1.5 × lead over other topics reaches 52."""
    return Thresholds(confidence=Confidence({"score": 1.0, "lead": 1.5}, -52.0), suggest=30,
                      margin=3)


def _candidates(*pairs: tuple[str, float]) -> list[Candidate]:
    return [Candidate(entry_id, score, "", "en") for entry_id, score in pairs]


def test_every_decision_says_why():
    """`govbot eval --reasons` counts these for the questions not answered right."""
    t = _above(80, suggest=50, margin=5)
    topics = {"visa": "evisa", "pass": "passport", NOT_OURS: NOT_OURS}

    def why(*pairs: tuple[str, float]) -> str:
        return decide(_candidates(*pairs), t, topics).reason

    assert why(("visa", 90), ("pass", 60)) == decision.SURE
    assert why(("visa", 90), ("pass", 88)) == decision.CLOSE_CALL
    assert why(("visa", 90), (NOT_OURS, 88)) == decision.NEAR_NOT_OURS
    assert why(("visa", 70), ("pass", 40)) == decision.NOT_SURE
    assert why((NOT_OURS, 90), ("visa", 60)) == decision.CLOSEST_NOT_OURS
    assert why() == decision.NOTHING_CLOSE
    assert why(("visa", 45), ("pass", 44)) == decision.NOTHING_CLOSE  # below any choice
    elsewhere = [Candidate("visa", 90, "", "en", elsewhere=True)]
    assert decide(elsewhere, t, topics).reason == decision.ELSEWHERE
    someone_elses = [*elsewhere, Candidate(NOT_OURS, 88, "", "en")]
    assert decide(someone_elses, t, topics).reason == decision.SOMEONE_ELSES
    greeting = decide(_candidates(("hi", 60)), replace(t, small_talk_answer=70), {"hi": "greeting"})
    assert greeting.reason == decision.SMALL_TALK


def test_every_answer_says_which_rule_gave_it():
    t = _above(45, suggest=30, margin=3, warning_answer=40, long_support=2,
               suspicion_answer=15, suspicion_gap=20)
    topics = {"fees": "passport", "scam": "scam-warnings", "phone": "camdigikey", "tax": "tax"}
    close_call = decide(_candidates(("fees", 42), ("scam", 41)), t, topics)
    assert close_call.reason == decision.WARNING_CLOSE_CALL
    asked = [Candidate("fees", 42, "", "en", suspicious=True), Candidate("scam", 30, "", "en")]
    assert decide(asked, t, topics).reason == decision.SCAM_QUESTION
    agree = (Said("camdigikey", 41.0), Said("camdigikey", 35.0), Said("tax", 46.0))
    story = [Candidate("phone", 33, "", "en", words=20, sentences=agree),
             Candidate("tax", 10, "", "en", words=20, sentences=agree)]
    assert decide(story, t, topics).reason == decision.SENTENCES_AGREE


def test_close_candidates_of_different_topics_become_choices():
    ranked = _candidates(("evisa-apply", 90), ("passport-apply", 89), ("tax-file", 60))
    topics = {"evisa-apply": "evisa", "passport-apply": "passport", "tax-file": "tax"}
    decision = decide(ranked, _above(80, suggest=50, margin=5), topics)
    assert decision.status == "suggest"
    assert [c.entry_id for c in decision.suggestions] == ["evisa-apply", "passport-apply",
                                                          "tax-file"]


def test_a_question_as_close_to_one_marked_not_ours_becomes_choices():
    """Editors' not-ours questions count as a rival within the margin: "translate 'good
    morning' into French" is as close to "translate my marriage certificate" (not ours) as to
    a service point that mentions translation, so it is not answered."""
    topics = {"evisa-apply": "evisa", "tax-file": "tax"}
    close = _candidates(("evisa-apply", 60), (NOT_OURS, 57), ("tax-file", 40))
    decision = decide(close, _above(50, suggest=30, margin=5), topics)
    assert decision.status == "suggest"
    assert NOT_OURS not in [c.entry_id for c in decision.suggestions]
    far = _candidates(("evisa-apply", 60), (NOT_OURS, 50), ("tax-file", 40))
    assert decide(far, _above(50, suggest=30, margin=5), topics).status == "answer"


def test_someone_elses_service_as_close_to_a_not_ours_question_gets_no_choices():
    """A question naming a bank's own app, about as close to a question editors marked not
    ours as to an entry that is only related, is refused: offering the tax help desk for a
    forgotten banking-app password helps nobody. A related entry well ahead still is offered."""
    topics = {"tax-help": "tax", "bakong-transfer": "bakong"}
    named = [replace(c, elsewhere=c.entry_id != NOT_OURS) for c in _candidates(
        ("tax-help", 38), (NOT_OURS, 36), ("bakong-transfer", 33))]
    assert decide(named, _above(50, suggest=30, margin=4), topics).status == "fallback"
    ahead = [replace(c, score=c.score + 12) if c.entry_id == "tax-help" else c for c in named]
    assert decide(ahead, _above(60, suggest=30, margin=4), topics).status == "suggest"


@pytest.mark.parametrize("question", [
    "I forgot my ABA app password",
    "ភ្លេចលេខសម្ងាត់ app ABA ធ្វើម៉េច",
    "What's the interest rate for an ACLEDA car loan?",
])
def test_a_question_about_someone_elses_service_is_declined(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.status == "fallback", [s.entry.id for s in answer.suggestions]


def test_close_candidates_of_the_same_topic_still_answer():
    ranked = _candidates(("evisa-apply", 90), ("evisa-fees", 89), ("tax-file", 60))
    topics = {"evisa-apply": "evisa", "evisa-fees": "evisa", "tax-file": "tax"}
    decision = decide(ranked, _above(80, suggest=50, margin=5), topics)
    assert decision.status == "answer" and decision.best.entry_id == "evisa-apply"


def test_two_close_entries_of_one_topic_alone_still_answer():
    topics = {"passport-fees": "passport", "passport-apply": "passport"}
    ranked = _candidates(("passport-fees", 60), ("passport-apply", 59))
    assert decide(ranked, _above(45, suggest=30, margin=3), topics).status == "answer"


def test_thresholds_split_answer_suggest_fallback():
    t = _above(80, suggest=50, margin=5)
    assert decide(_candidates(("a", 85)), t).status == "answer"
    assert decide(_candidates(("a", 70)), t).status == "suggest"
    assert decide(_candidates(("a", 40)), t).status == "fallback"
    assert decide([], t).status == "fallback"


def test_a_low_score_answers_only_with_a_clear_lead_over_other_topics():
    """With a model that weighs the lead as well as the score (as the fitted one does)."""
    topics = {"a": "evisa", "b": "tax", "hi": "greeting"}
    t = _weighing_the_lead()
    # 36 + 1.5 × 12 = 54: a long question far ahead of every other topic
    assert decide(_candidates(("a", 36), ("b", 24)), t, topics).status == "answer"
    # 36 + 1.5 × 6 = 45: not clear enough
    assert decide(_candidates(("a", 36), ("b", 30)), t, topics).status == "suggest"
    # small talk needs a near-exact match, however far ahead
    assert decide(_candidates(("hi", 45), ("b", 10)), t, topics).status == "suggest"
    assert decide(_candidates(("hi", 70), ("b", 10)), t, topics).status == "answer"
    # ... unless the message is greetings and thanks alone: then from the offer score up
    thanks = [Candidate("hi", 45, "", "en", chat=True), Candidate("b", 10, "", "en", chat=True)]
    assert decide(thanks, t, topics).status == "answer"
    assert decide([replace(c, score=c.score - 20) for c in thanks], t, topics
                  ).status != "answer"


@pytest.mark.parametrize("message", ["is it ok", "ok but how", "ok thanks but how", "all good?",
                                     "ok bong ban ot", "very good"])
def test_stopwords_that_ask_or_do_not_thank_are_not_small_talk(bundled_assistant, message):
    """"ok", "good" and "all" are words of the greeting entries too; a message of them alone that
    asks something, or neither greets nor thanks, still needs small talk's near-exact match."""
    assert bundled_assistant.ask(message).status != "answer"


@pytest.mark.parametrize("message", ["thanks, help me please", "Thanks, but that didn't help",
                                     "Hi, I need help", "អរគុណ ជួយខ្ញុំផង",
                                     "thanks bong, jouy khnhom phong"])
def test_thanks_that_still_wants_something_is_not_small_talk(bundled_assistant, message):
    """A request or a complaint beside the thanks ("help me", "it didn't help") is not thanks
    alone: "You're welcome" would be the wrong answer (found by review)."""
    answer = bundled_assistant.ask(message)
    assert answer.status != "answer" or answer.entry.topic != "greeting"


@pytest.mark.parametrize("message", ["thx bro", "thanks a lot, that was really helpful",
                                     "អរគុណច្រើនណា៎ បានជួយខ្ញុំច្រើនណាស់", "ចា៎ អរគុណ",
                                     # with the words of courtesy that go with thanks
                                     "thank you very much for all the help",
                                     "great, thanks so much", "akun chran nas bong",
                                     "អរគុណបង ជួយបានច្រើនមែនទែន"])
def test_thanks_alone_is_small_talk_however_long(bundled_assistant, message):
    answer = bundled_assistant.ask(message)
    assert answer.status == "answer" and answer.entry.id == "greeting-thanks"
    # with a question in it, it is the question's
    asked = bundled_assistant.ask(f"{message}, how do I renew my passport")
    assert asked.status == "answer" and asked.entry.topic == "passport"


def test_a_high_score_within_the_margin_of_another_topic_is_a_choice():
    t = _above(45, suggest=30, margin=3)
    ranked = _candidates(("a", 52), ("b", 50))
    assert decide(ranked, t, {"a": "id-card", "b": "driving-licence"}).status == "suggest"


def test_single_topic_candidates_lead_by_at_least_the_gap_to_the_last():
    t = _weighing_the_lead()
    ranked = _candidates(("a1", 38), ("a2", 30), ("a3", 20))
    assert decide(ranked, t, {"a1": "evisa", "a2": "evisa", "a3": "evisa"}).status == "answer"


def test_khmer_typed_against_digits_or_latin_splits_into_words():
    assert Analyzer().words("ប្រហែល២ឆ្នាំ ធ្វើpassport")[-1] == "passport"
    assert "2" in Analyzer().words("ប្រហែល២ឆ្នាំ")


def test_index_covers_both_languages_and_titles(assistant):
    matcher: Matcher = assistant.snapshot.matcher
    # 3 entries × 2 languages × (title + 6 questions)
    assert len(matcher) == 42
    assert matcher.rank("ការស្នើសុំ e-Visa")[0].entry_id == "evisa-apply"


def test_synonyms_apply_to_multi_word_phrases():
    analyzer = Analyzer({"en": {"e visa": "evisa", "id": "identity card"}})
    assert analyzer.words("renew my id") == ["renew", "identity", "card"]
    assert analyzer.words("e visa fee") == ["evisa", "fee"]


def test_a_romanised_spelling_nobody_listed_is_read_by_its_consonants():
    analyzer = Analyzer({"km": {"seavphov": "សៀវភៅ", "krousar": "គ្រួសារ", "lekhet": "លិខិត",
                                "brates": "ប្រទេស", "bartes": "បរទេស", "yang mech": "យ៉ាងម៉េច"}})
    assert romanised_outline("siovphov") == romanised_outline("seavphov") == "svpv"
    assert analyzer.romanised("siovphov") == ("សៀវភៅ",)
    assert analyzer.romanised("kruosar") == ("គ្រួសារ",)
    # an outline two words share, one too short to tell (lkt), or a phrase's letters: no reading
    assert analyzer.romanised("brotes") is None and analyzer.romanised("likhit") is None
    assert analyzer.romanised("yongmech") is None


@pytest.mark.parametrize(("question", "read_as_khmer"), [
    ("tver siovphov", True),  # among Khmer words (tver → ធ្វើ): romanised Khmer
    ("siovphov", False),  # alone, or in an English question: left as it is
    ("tver siovphov for my trip to angkor", False),  # one Khmer word of several: English
    # romanised question words (yang mech → យ៉ាងម៉េច, a stopword) make it Khmer, though its
    # content words are Latin
    ("siovphov yang mech", True),
])
def test_romanised_outlines_apply_only_beside_khmer_words(question, read_as_khmer):
    analyzer = Analyzer({"km": {"seavphov": "សៀវភៅ", "tver": "ធ្វើ", "yang mech": "យ៉ាងម៉េច"}})
    entry = Entry("book", "civil-registration", "citizens", {
        "km": EntryText("សៀវភៅគ្រួសារ", "…", (Question("ធ្វើសៀវភៅគ្រួសារ"),))})
    words = Matcher([entry], analyzer).correct(*analyzer.read(question))
    assert ("សៀវភៅ" in words) is read_as_khmer


def test_a_romanised_word_only_the_not_ours_questions_use_is_still_read_as_khmer():
    analyzer = Analyzer({"km": {"seavphov": "សៀវភៅ", "tver": "ធ្វើ"}})
    entry = Entry("book", "civil-registration", "citizens", {
        "km": EntryText("សៀវភៅគ្រួសារ", "…", (Question("ធ្វើសៀវភៅគ្រួសារ"),))})
    scope = Scope.from_lists({"not_ours_questions": ["tver siovphov thneakea thmey"]})
    words = Matcher([entry], analyzer, scope=scope).correct(*analyzer.read("tver siovphov"))
    assert "សៀវភៅ" in words


def test_romanised_spellings_of_the_same_sounds_fold_together():
    assert romanised_fold("thveu") == romanised_fold("twer") == romanised_fold("tver")
    assert romanised_fold("chhmous") == romanised_fold("chmoh") == romanised_fold("jmos")
    assert romanised_fold("ponmane") == romanised_fold("pon man".replace(" ", ""))
    # a short fold keeps the kind of its vowels: ចិន (China) is not ចេញ (leave)
    assert romanised_fold("chin") != romanised_fold("chen")
    # writers who leave the vowels out keep the consonants, and the final r
    assert romanised_skeleton("tvr") == romanised_skeleton("tver") != romanised_skeleton("tov")


_ROMANISED = {"km": {"tver": "ធ្វើ", "tov": "ទៅ", "chhmous": "ឈ្មោះ", "yang mech": "យ៉ាងម៉េច",
                     "ponman": "ប៉ុន្មាន", "chen": "ចេញ",
                     # a phrase with the same consonants as a word: the word's reading wins
                     "oh ponman": "អស់ប៉ុន្មាន", "atsanhanaban": "អត្តសញ្ញាណប័ណ្ណ"}}


@pytest.mark.parametrize(("question", "read", "left"), [
    # spellings nobody listed, read by their fold, phrases too, beside a listed one (tver)
    ("tver chmoh yeang mech", {"ធ្វើ", "ឈ្មោះ"}, set()),
    # vowels left out: read by the consonants
    ("tver chhmous p'n m'n", {"ធ្វើ", "ឈ្មោះ", "ប៉ុន្មាន"}, set()),
    # no listed spelling at all: nothing says it is Khmer
    ("twer chmoh", set(), {"twer", "chmoh"}),
    # an English question is never read as romanised Khmer
    ("can i twer my visa", set(), {"twer", "visa"}),
    # nor a Latin word in a question in Khmer script
    ("សួរ chmoh មក", set(), {"chmoh"}),
    # a long spelling a letter away from a listed one's fold
    ("tver atsanhanban", {"ធ្វើ", "អត្តសញ្ញាណប័ណ្ណ"}, set()),
    # a short word whose vowels differ from every listed spelling stays as it is
    ("tver chin ponman", {"ធ្វើ", "ប៉ុន្មាន"}, {"chin"}),
])
def test_romanised_khmer_nobody_listed_is_read_by_its_fold(question, read, left):
    words = set(Analyzer(_ROMANISED).read(question)[0])
    assert read <= words and left <= words
    assert not words & {"ចេញ"} and (not left or "ឈ្មោះ" not in words)


def test_a_romanised_variant_is_indexed_as_written_and_as_read():
    # an English question still meets "korea" and "passport"; a romanised one meets ធ្វើ
    analyzer = Analyzer(_ROMANISED)
    assert analyzer.words("tver thveu korea passport") == ["ធ្វើ", "ធ្វើ", "korea", "passport"]
    assert analyzer.indexed("tver thveu korea passport") == [
        "ធ្វើ", "thveu", "korea", "passport"]


def test_stopword_only_questions_keep_their_words():
    assert Analyzer().words("how are you") == ["how", "are", "you"]


@pytest.mark.parametrize("question", ["who can see what I type here", "ខ្ញុំសួរច្រើនដងហើយ"])
def test_a_question_sharing_a_word_with_small_talk_is_not_small_talk(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.entry is None or answer.entry.topic != "greeting"


@pytest.mark.parametrize("question", ["see you", "អរគុណច្រើន", "good morning", "susadey bong"])
def test_small_talk_alone_gets_the_small_talk_answer(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.topic == "greeting"


def test_small_talk_too_weak_to_answer_does_not_block_an_answer():
    t = _above(45, suggest=30, margin=3, small_talk_answer=50)
    topics = {"bot": "about-bot", "bye": "greeting", "bot2": "about-bot"}
    ranked = _candidates(("bot", 46), ("bye", 45), ("bot2", 20))
    assert decide(ranked, t, topics).status == "answer"


def test_a_close_call_with_a_scam_warning_is_answered_with_the_warning():
    t = _above(45, suggest=30, margin=3, warning_answer=40)
    topics = {"fees": "passport", "scam": "scam-warnings"}
    decision = decide(_candidates(("fees", 42), ("scam", 41)), t, topics)
    assert decision.status == "answer" and decision.best.entry_id == "scam"
    # too weak a warning stays a choice
    assert decide(_candidates(("fees", 38), ("scam", 37)), t, topics).status == "suggest"


def test_a_long_message_whose_sentences_agree_is_answered_however_unsure_the_model():
    """A story of several sentences scores low against short variants; two or more of its
    sentences pointing to one topic (each with an entry worth offering), more than to any
    other, answer it, however low the whole scores and whichever topic its story words put
    first, as long as its last sentence, the question, is one of them; with the entry that
    sentence points to. Not near a scam warning or a question marked not ours, not with an
    entry about somewhere else, and not when it asks about a scam."""
    t = _above(45, suggest=30, margin=3, long_support=2, suspicion_answer=15, suspicion_gap=20)
    topics = {"phone": "camdigikey", "tax": "tax", "scam": "scam-warnings",
              "birth": "civil-registration"}
    agree = (Said("camdigikey", 41.0), Said("camdigikey", 35.0), Said("tax", 46.0))

    def ranked(sentences=agree, best: float = 33, rival: str = "tax", second: float = 10,
               suspicious: bool = False, elsewhere: bool = False) -> list[Candidate]:
        return [Candidate("phone", best, "", "en", words=20, suspicious=suspicious,
                          sentences=sentences, elsewhere=elsewhere),
                Candidate(rival, second, "", "en", words=20, sentences=sentences)]

    answered = decide(ranked(), t, topics)
    assert answered.status == "answer" and answered.reason == decision.SENTENCES_AGREE
    assert decide(ranked(agree[1:]), t, topics).status != "answer"  # one is not agreement
    weak = (Said("camdigikey", 41.0), Said("camdigikey", 20.0))  # a sentence too weak to vote
    assert decide(ranked(weak), t, topics).status != "answer"
    tied = (*agree, Said("tax", 40.0))  # as many for another topic
    assert decide(ranked(tied), t, topics).status != "answer"
    asked_last = (Said("tax", 46.0), Said("camdigikey", 41.0), Said("camdigikey", 35.0))
    assert decide(ranked(asked_last, best=20), t, topics).status == "answer"  # however low
    assert decide(ranked(best=20), t, topics).status != "answer"  # its question is on tax
    assert decide(ranked(second=31), t, topics).status == "answer"  # a close call, still
    assert decide(ranked(rival="scam", second=14), t, topics).status == "answer"  # far
    assert decide(ranked(rival="scam", second=16), t, topics).status != "answer"  # near
    assert decide(ranked(suspicious=True), t, topics).status != "answer"
    assert decide(ranked(elsewhere=True), t, topics).status != "answer"
    # The story put a civil certificate first; the sentences agree on the company's tax, and
    # the last of them, the question, on its patent: the entry it points to answers, when the
    # whole message ranks it at all; else the whole message's best entry of the topic.
    topics |= {"patent": "tax"}
    on_tax = (Said("civil-registration", 24.0, "birth"), Said("tax", 36.0, "tax"),
              Said("tax", 62.0, "patent"))
    story = [Candidate("birth", 29, "", "en", words=20, sentences=on_tax),
             Candidate("tax", 27, "", "en", words=20, sentences=on_tax),
             Candidate("patent", 25, "", "en", words=20, sentences=on_tax)]
    assert decide(story, t, topics).best.entry_id == "patent"
    assert decide(story[:2], t, topics).best.entry_id == "tax"
    # ... but only when its question agrees: a story naming a service twice and then asking
    # about something else is not answered with the service
    off_topic = (Said("tax", 40.0, "tax"), Said("tax", 36.0, "tax"), Said("about-bot", 20.0))
    asked_else = [replace(c, sentences=off_topic) for c in story]
    assert decide(asked_else, t, topics).status != "answer"
    # nor near a question marked not ours, nor when the best entry is about somewhere else
    assert decide([*story, Candidate(NOT_OURS, 24, "", "en")], t, topics).status != "answer"
    assert decide([replace(story[0], elsewhere=True), *story[1:]], t, topics
                  ).status != "answer"


def test_a_long_message_too_weak_to_offer_gets_the_choices_its_sentences_point_to():
    """A story scoring under the suggestion score as a whole, whose best topic one sentence
    alone scores an offer for, gets that topic's entries as choices instead of "I don't know";
    never an answer, never another topic's entries, and not near a question marked not ours."""
    t = _above(45, suggest=30, margin=3)
    topics = {"contest": "metaverse-contest", "enter": "metaverse-contest", "visa": "evisa"}
    said = (Said("techo-scholarship", 16.0), Said("metaverse-contest", 32.0), Said("evisa", 28.0))

    def decided(sentences=said, not_ours: float | None = None):
        ranked = [Candidate("contest", 24, "", "en", words=20, sentences=sentences),
                  Candidate("enter", 21, "", "en", words=20, sentences=sentences),
                  Candidate("visa", 20, "", "en", words=20, sentences=sentences)]
        if not_ours is not None:
            ranked.append(Candidate(NOT_OURS, not_ours, "", "en"))
        return decide(ranked, t, topics)

    offered = decided()
    assert offered.status == "suggest" and offered.reason == decision.SENTENCES_OFFER
    assert [c.entry_id for c in offered.suggestions] == ["contest", "enter"]
    assert decided(said[:1] + said[2:]).status == "fallback"  # no sentence for the topic
    assert decided((Said("evisa", 40.0),)).status == "fallback"  # another topic's sentence
    assert decided(not_ours=22).status == "fallback"  # as close to something not ours


def test_each_sentence_of_a_long_message_is_ranked_alone(bundled_assistant):
    matcher = bundled_assistant.snapshot.matcher
    story = ("My phone was stolen last week and CamDigiKey was on it. I got a new SIM with the "
             "same number. Now CamDigiKey keeps failing at the face scan. What should I do?")
    sentences = matcher.rank(story)[0].sentences
    assert [said.topic for said in sentences].count("camdigikey") >= 2
    assert len(sentences) == 4
    assert matcher.rank("camdigikey on a new phone")[0].sentences == ()
    assert matcher.rank_entries(story, 3)[0].sentences == ()  # choices need no sentences
    khmer = "ខ្ញុំបាត់កាតខ្មែរ។ខ្ញុំត្រូវការកាតថ្មីប្រញាប់។"  # no space after the full stop
    assert len(matcher.rank(khmer)[0].sentences) == 2
    # of a longer story, its first and last sentences: the question at the end still counts
    chatter = " ".join(f"Day {n} we went to the market and bought rice." for n in range(10))
    asked = matcher.rank(chatter + " How do I renew my passport?")[0].sentences
    assert len(asked) == 8 and asked[-1].topic == "passport"
    # a message of one sentence is read by its clauses between commas, one of several by its
    # sentences only
    clauses = matcher.rank("scan QR ler ekasa, min chenh avey te bong, ekasa kleng ot?")
    assert len(clauses[0].sentences) >= 2
    assert len(matcher.rank("I lost my ID card, my wallet too. What now, please?")[0].sentences
               ) == 2


def test_sentences_are_ranked_only_when_the_decision_reads_them(bundled_assistant, monkeypatch):
    """Ranking each sentence costs up to four times the message: a question the model answers
    as sure enough never pays for it, and one that needs them ranks them once."""
    matcher = bundled_assistant.snapshot.matcher
    calls: list[list[str]] = []
    real = matcher._said
    monkeypatch.setattr(matcher, "_said", lambda sentences: calls.append(sentences) or
                        real(sentences))
    story = ("My phone was stolen last week and CamDigiKey was on it. I got a new SIM with the "
             "same number. Now CamDigiKey keeps failing at the face scan. What should I do?")
    ranked = matcher.rank(story)
    assert calls == []
    assert ranked[0].sentences[0].topic == ranked[1].sentences[0].topic
    assert len(calls) == 1  # read twice, through two candidates: ranked once
    assert pickle.loads(pickle.dumps(ranked[0])).sentences == tuple(ranked[0].sentences)
    assert ranked[0] == replace(ranked[0], sentences=())  # what was said is not compared
    sure = bundled_assistant.ask("I lost my passport. How do I get a new passport?")
    assert sure.status == "answer" and sure.reason == decision.SURE and len(calls) == 1


def test_asking_whether_something_is_a_scam_is_answered_with_the_warning():
    """"Passport in 2 days for $300, legit?" ranks the passport entries first; the person needs
    the warning, even below the service and below the score of a close call, as long as it is
    not far behind ("is this bot legit" is about the bot)."""
    t = _above(45, suggest=30, margin=3, warning_answer=40, suspicion_answer=15,
               suspicion_gap=20)
    topics = {"fees": "passport", "apply": "passport", "scam": "scam-warnings"}

    def ranked(suspicious: bool, best: float, scam: float) -> list[Candidate]:
        return [Candidate(e, s, "", "en", suspicious=suspicious)
                for e, s in (("fees", best), ("apply", best - 5), ("scam", scam))]

    decision = decide(ranked(True, 50, 32), t, topics)
    assert decision.status == "answer" and decision.best.entry_id == "scam"
    # not asked whether it is a scam: the service
    assert decide(ranked(False, 50, 32), t, topics).best.entry_id == "fees"
    # the warning too far behind the best, or too weak in itself: not the warning
    assert decide(ranked(True, 60, 35), t, topics).best.entry_id == "fees"
    low = _above(25, suggest=10, margin=3, suspicion_answer=15, suspicion_gap=20)
    assert decide(ranked(True, 30, 14), low, topics).best.entry_id == "fees"
    # of two warnings close enough, the one whose variants as a whole speak of it (pooled)
    two = [Candidate("fees", 50, "", "en", suspicious=True),
           Candidate("report", 40, "", "en", pooled=0.2, suspicious=True),
           Candidate("scam", 38, "", "en", pooled=0.5, suspicious=True)]
    assert decide(two, t, {**topics, "report": "scam-warnings"}).best.entry_id == "scam"
    # whether the bot itself can be trusted is a question about the bot
    bot = [Candidate("accuracy", 50, "", "en", suspicious=True),
           Candidate("scam", 33, "", "en", suspicious=True)]
    on_bot = decide(bot, t, {"accuracy": "about-bot", "scam": "scam-warnings"})
    assert on_bot.status == "answer" and on_bot.best.entry_id == "accuracy"


def test_a_scam_question_keeps_the_best_warning_among_the_candidates():
    """The warning's own distinguishing words (`only_when`) are stood in for by the suspicion,
    and the warning is ranked even below the limit, after the services the question names."""
    def entry(entry_id: str, topic: str, question: str, only_when: tuple[str, ...] = ()) -> Entry:
        return Entry(entry_id, topic, "citizens", {"en": EntryText(question, "…", (
            Question(question),))}, only_when=only_when)

    entries = [entry(f"passport-{i}", "passport", f"passport {word} fast")
               for i, word in enumerate(("fee", "office", "time"))]
    entries.append(entry("scam", "scam-warnings", "agent asks extra money", ("fraud",)))
    matcher = Matcher(entries, Analyzer(), scope=Scope.from_lists({"suspicion": ["legit"]}))
    ranked = matcher.rank("passport fast from an agent, legit?", limit=2)
    assert [c.entry_id for c in ranked][-1] == "scam" and len(ranked) == 3
    assert all(c.suspicious for c in ranked)
    plain = matcher.rank("passport fast from an agent", limit=2)
    assert "scam" not in [c.entry_id for c in plain] and len(plain) == 2
    # the lists of choices (inline search, an editor's gaps) keep it too
    choices = matcher.rank_entries("passport fast from an agent, legit?", limit=2)
    assert [c.entry_id for c in choices][-1] == "scam" and len(choices) == 3


def test_a_place_read_as_the_askers_own_still_names_a_special_case_entry():
    """"korea passport" reads Korea as the asker's (a Korean passport holder), and the place
    is left out of the score as incidental; but it is still the word that names the entry for
    the embassy in Seoul (`only_when`), whose own variants say it so."""
    def entry(entry_id: str, question: str, only_when: tuple[str, ...] = ()) -> Entry:
        return Entry(entry_id, "passport", "citizens", {"en": EntryText(question, "…", (
            Question(question),))}, only_when=only_when)

    entries = [entry("renew", "renew my passport"),
               entry("seoul", "migrant worker in korea passport renew", ("korea",))]
    matcher = Matcher(entries, Analyzer(),
                      scope=Scope.from_lists({"places": ["korea"], "markers": {
                          "origin_after": ["passport"]}}))
    assert "korea" in matcher.scope.mentions("worker in korea passport renew").incidental
    ranked = matcher.rank("worker in korea passport renew")
    assert ranked[0].entry_id == "seoul"
    assert [c.entry_id for c in matcher.rank("renew my passport")] == ["renew"]


@pytest.mark.parametrize(("question", "topic"), [
    ("Someone on Facebook says he can get my passport done in 2 days for $300. Is this legit?",
     "scam-warnings"),
    ("some1 on fb sell passport fast 3day legit?", "scam-warnings"),
    ("a site called cambodia-evisa.org wants $95 for my visa, is it official?", "scam-warnings"),
    ("អ្នកលក់តាមតេឡេក្រាមថាធ្វើ passport ៣ថ្ងៃបាន តើពិតអត់ឬបោក", "scam-warnings"),
    ("មានគេ tele មកប្រាប់ថាអាចធ្វើប៉ាស្ព័របាន២ថ្ងៃ តែទារ៣០០ដុល្លារ ពិតឬបោក?", "scam-warnings"),
    ("mean ke tel mok som lekh OTP camdigikey, bok ot?", "scam-warnings"),
    # a document checked for being genuine is verify.gov.kh's, not a scam warning's
    ("how check qr on certificate real or fake", "verify"),
])
def test_scam_questions_naming_a_service_get_the_warning(bundled_assistant, question, topic):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.topic == topic, answer


def test_more_questions_marked_not_ours_leave_the_entries_pooled_evidence_alone():
    """The not-ours questions are one pooled document as long as many entries; BM25's average
    document length leaves it out, so an editor marking one more question not ours does not
    move every entry's score."""
    entries = [Entry(f"e{i}", "passport", "citizens", {"en": EntryText(q, "…", (Question(q),))})
               for i, q in enumerate(("renew passport online", "passport fee for adults",
                                      "lost passport what to do"))]

    def pooled(not_ours: list[str]) -> float:
        matcher = Matcher(entries, Analyzer(),
                          scope=Scope.from_lists({"not_ours_questions": not_ours}))
        best = next(c for c in matcher.rank("renew my passport") if c.entry_id == "e0")
        return best.pooled

    few = ["best pizza in town", "weather tomorrow"]
    many = few + [f"pizza delivery weather forecast number {n} today" for n in range(40)]
    assert pooled(few) == pooled(many) > 0


@pytest.mark.parametrize(("question", "entry"), [
    ("passprt fee", "passport-fees"), ("scholarsip for IT students", "techo-scholarship-what"),
    ("chu bonchi krom hun online", "business-register-online"),
    ("kat ID hos samay tver thmei nov na", "id-card-renewal")])
def test_misspellings_and_romanised_spellings_from_the_dev_sets_read_as_their_word(
        bundled_assistant, question, entry):
    """A misspelt variant ("passprt application form") made the misspelling a word of the
    knowledge base, which is never corrected: every question with it met that one entry only.
    Romanised "chu bonchi" (ចុះបញ្ជី), "kat ID" (the ID card) and "hos samay" (expired) were
    left as Latin words no entry uses, so these questions got choices or "I don't know". The
    synonyms read each as its word, on both sides."""
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.id == entry
