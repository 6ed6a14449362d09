"""Questions about another country or another subject are offered choices, never answered."""

from __future__ import annotations

import pytest

from bot.config import bundled_path
from bot.engine.scope import Scope
from bot.engine.segment import Analyzer
from bot.kb.importer import load_knowledge

mentions = Scope.from_lists(load_knowledge(bundled_path("knowledge")).scope or {}).mentions


@pytest.mark.parametrize(
    "question",
    ["how do I get a Thai driving licence", "renew my US passport", "bakong temple opening hours",
     "ប្រាសាទបាគងនៅឯណា", "what time is it in cambodia",
     "Indian passport holder, do I need a visa for Laos?",
     "spouse visa for my Cambodian wife to come to the UK",
     "visa for Australia for Cambodians, how long is processing",
     "ACLEDA motorbike loan interest rate", "how much is Thai visa", "how to open an ABA account",
     "I'm Thai, how do I get Cambodian nationality", "forgot my ACLEDA app password",
     "open an ABA account with my passport", "how to get a land title for my farm",
     "ប័ណ្ណ បសស ខូច ធ្វើថ្មីនៅណា", "can my dog travel with me to Phnom Penh",
     "ចង់ប្តូរលីសង់ខ្មែរទៅជាលីសង់កូរ៉េ"],
)
def test_other_places_and_subjects_are_not_answered(bundled_assistant, question):
    assert bundled_assistant.ask(question).status != "answer"


def test_a_visitors_nationality_still_gets_the_visa_answer(bundled_assistant):
    answer = bundled_assistant.ask("my friend from France needs an e-visa, how does she apply")
    assert answer.status == "answer" and answer.entry.topic == "evisa"


@pytest.mark.parametrize(
    "question",
    ["I'm Indian, do I need a visa?", "do Americans need a visa for Cambodia",
     "visa for French citizens", "my Thai wife needs an e-visa",
     "ប្រពន្ធថៃខ្ញុំចង់មកខ្មែរ ធ្វើ e-visa យ៉ាងម៉េច"],  # Khmer: the person, then the nationality
)
def test_a_nationality_in_any_phrasing_keeps_the_visa_answer(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.topic == "evisa"


def test_a_country_in_romanised_khmer_is_a_place():
    assert mentions("mit knhom chong renew passport amerik").places == {"amerik"}


def test_romanised_khmer_says_where_a_visitor_comes_from():
    assert mentions("khnhom mok pi korea, e-arrival nov na").origins == {"korea"}


def test_a_nationality_before_a_service_is_that_countrys_service():
    assert not mentions("thai visa").origins
    assert not mentions("Thai tourist visa").origins
    assert mentions("e-arrival for a Korean tourist").origins == {"korean"}
    assert mentions("are thai citizens allowed").origins == {"thai"}


@pytest.mark.parametrize("question", [
    "KOICA fellowship requirements, do I need to speak Korean?", "រៀនភាសាកូរ៉េនៅណា",
    "is the Korean language test required for KOICA"])
def test_a_language_is_not_a_place(question):
    assert not mentions(question).places


@pytest.mark.parametrize("question", [
    "I am flying to Cambodia next week and then to Thailand. Do I need a visa for Thailand?",
    "My trip: to Cambodia on Monday, to Vietnam on Friday. How much is the e-visa for Vietnam?"])
def test_a_trip_onwards_from_cambodia_is_still_a_trip_elsewhere(question):
    """Naming Cambodia as a destination does not make the next country's visa ours."""
    assert mentions(question).elsewhere(frozenset(), True)


def test_khmer_names_a_nationality_by_its_country_after_is():
    """"ជា" (is) before a country says who the asker is, as "I'm" does before a nationality."""
    assert mentions("មិត្តខ្ញុំជាបារាំង ចង់ធ្វើ evisa").origins == {"បារាំង"}
    assert not mentions("ចង់ទៅបារាំង ធ្វើ visa").origins


@pytest.mark.parametrize("question", ["visa Korea E-9 for workers", "ទិដ្ឋាការថៃ", "Vietnam e-visa"])
def test_a_country_next_to_visa_is_that_countrys_scheme(question):
    assert mentions(question).schemes


def test_passport_holders_of_a_country_are_askers_not_a_scheme():
    named = mentions("evisa japan passport holders")
    assert named.origins == {"japan"} and not named.schemes


def test_a_country_after_for_is_a_destination_not_a_nationality():
    assert not mentions("e-arrival card for japan").origins


def test_a_foreign_licence_converted_into_a_cambodian_one_is_what_the_asker_brings():
    named = mentions("Can I swap my UK driving licence for a Cambodian one?")
    assert not named.schemes and named.converted == {"uk"} and "uk" in named.incidental
    assert mentions("ខ្ញុំមានប័ណ្ណបើកបរថៃ ចង់ប្តូរជាប័ណ្ណបើកបរខ្មែរ").converted == {"ថៃ"}
    # the "to" of "how to convert" is no "into"; nor is a Cambodian licence made Korean
    assert not mentions("how to convert my cambodian license to a korean driving licence"
                        ).converted
    assert mentions("ចង់ប្តូរលីសង់ខ្មែរទៅជាលីសង់កូរ៉េ").schemes


def test_the_nations_own_scheme_wanted_after_a_foreign_one_is_what_the_asker_wants():
    """No converting word: the foreign licence is what the asker has, the Cambodian one what
    they want, because it is named after it; the reverse stays the foreign country's."""
    named = mentions("I only have my US licence. How do I get a proper Cambodian driving licence?")
    assert not named.schemes and named.converted == {"usa"}
    assert mentions("I drive on my UK licence but I need a Cambodian one").converted == {"uk"}
    assert mentions("ខ្ញុំមានប័ណ្ណបើកបរអាមេរិក ចង់បានប័ណ្ណបើកបរខ្មែរ").converted == {"អាមេរិក"}
    assert mentions("I have a Cambodian licence, now I need a Korean driving licence").schemes
    assert mentions("ខ្ញុំធ្វើការនៅកូរ៉េ ចង់ប្តូរលីសង់ខ្មែរទៅជាលីសង់កូរ៉េបានអត់").schemes
    # a place that is not named as a scheme ("working in Korea") is no foreign scheme
    assert not mentions("I work in Korea and need a Cambodian driving licence").converted


@pytest.mark.parametrize("question", [
    "I want to convert my Thai licence to a Cambodian driving licence",
    "ខ្ញុំមានប័ណ្ណបើកបរថៃ ចង់ប្តូរជាប័ណ្ណបើកបរខ្មែរ",
    "I ride a scooter with only my US licence. How do I get a Cambodian driving licence?"])
def test_converting_a_foreign_licence_gets_the_entry_for_foreigners(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.id == "driving-licence-foreigners"


def test_a_bare_word_shared_by_several_services_gets_choices(bundled_assistant):
    answer = bundled_assistant.ask("renew")  # ID card, driving licence or passport?
    assert answer.status == "suggest"
    assert {s.entry.topic for s in answer.suggestions} >= {"id-card", "driving-licence"}


def test_capital_us_is_a_country_but_lowercase_us_is_a_pronoun():
    assert "usa" in mentions("renew my US passport").places
    assert not mentions("can you help us with the e-visa").places


def test_a_cambodian_passport_holder_abroad_is_not_elsewhere():
    named = mentions("I have a Cambodian passport and work in Korea, how do I renew it")
    assert not named.elsewhere(frozenset(), for_visitors=False)


def test_an_entry_for_visitors_and_citizens_is_elsewhere_only_for_both():
    """A citizen's trip abroad unties a visitor entry ("e-visa, going to Korea" is Korea's
    business) but not one that is also for citizens, such as a scam warning."""
    named = mentions("an agent makes passports in 2 days before my trip to Korea, legit?")
    assert named.destinations == {"korea"}
    assert named.elsewhere(frozenset(), for_visitors=True, for_residents=False)
    assert not named.elsewhere(frozenset(), for_visitors=True, for_residents=True)
    assert not named.elsewhere(frozenset(), for_visitors=False)


@pytest.mark.parametrize("question", [
    "do I need an arrival card for my trip to Thailand",
    "I am going to Japan, which visa type do I need",
    "travelling to Vietnam, what is the e-arrival fee",
])
def test_a_trip_abroad_unties_visitor_entries_also_read_by_residents(bundled_assistant,
                                                                     question):
    """e-Arrival and e-Visa entries are also for citizens, but only scam warnings are read both
    ways: a trip abroad is another country's arrival card or visa."""
    assert bundled_assistant.ask(question).status != "answer"


@pytest.mark.parametrize("question", [
    "how to enter the metaverse idea contest asean korea",
    "ចុះឈ្មោះប្រកួត Metaverse យុវជនអាស៊ាន កូរ៉េ យ៉ាងម៉េច"])
def test_the_country_a_programme_is_with_keeps_its_entries(bundled_assistant, question):
    """The ASEAN-Korea contest's entries speak of Korea, so naming it does not make a question
    about entering the contest one about somewhere else."""
    ranked = {c.entry_id: c for c in bundled_assistant.snapshot.matcher.rank(question)}
    assert not ranked["metaverse-contest-how-to-enter"].elsewhere


def test_a_scam_warning_stays_ours_on_a_trip_abroad(bundled_assistant):
    answer = bundled_assistant.ask("going to Korea soon, how do I report a scam")
    assert answer.status == "answer" and answer.entry.topic == "scam-warnings"


@pytest.mark.parametrize("question", [
    "a middleman wants 200 dollars for a fast passport, can I trust him?",
    "មានអ្នករត់ការសុំលុយ ២០០ដុល្លារ ធ្វើលិខិតឆ្លងដែនលឿន ទុកចិត្តបានទេ?",
])
def test_asking_whether_an_offer_can_be_trusted_gets_the_warning(bundled_assistant, question):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.topic == "scam-warnings"


def test_synonym_keys_match_however_the_segmenter_cuts_them():
    analyzer = Analyzer({"km": {"ប៉ាស្ព័រ": "លិខិតឆ្លងដែន", "ជំរាប": "ជម្រាប"}})
    passport = analyzer.words("លិខិតឆ្លងដែន")
    words = analyzer.words("ម្ដាយខ្ញុំចាស់ហើយ ដើរមិនរួច អាចធ្វើប៉ាស្ព័រឲ្យគាត់បានអត់")
    assert any(words[i : i + len(passport)] == passport for i in range(len(words)))
    assert analyzer.words("ជំរាបសួរ")[0] == "ជម្រាប"


def test_phrase_keys_match_after_a_word_inside_them_was_replaced():
    analyzer = Analyzer({"km": {"អេឡិចត្រូនិច": "អេឡិចត្រូនិក", "ទិដ្ឋាការអេឡិចត្រូនិក": "e-Visa"}})
    assert analyzer.words("ទិដ្ឋាការអេឡិចត្រូនិច") == ["evisa"]


def test_greetings_around_a_question_do_not_pull_it_to_the_greeting(bundled_assistant):
    answer = bundled_assistant.ask("hi, how much is a passport")
    assert answer.status == "answer" and answer.entry.topic == "passport"
    assert bundled_assistant.ask("hi").entry.topic == "greeting"


def test_a_khmer_going_word_reaches_past_the_purpose_to_the_place():
    """ទៅ … នៅ X: the purpose sits between the going and the place, often in three words."""
    assert mentions("ខ្ញុំនឹងទៅរៀនភាសានៅជប៉ុន ធ្វើប៉ាស្ព័រនៅណា").destinations == {"ជប៉ុន"}
    assert mentions("កូនខ្ញុំត្រូវទៅប្រកួតកីឡានៅសិង្ហបុរី").destinations == {"សិង្ហបុរី"}


@pytest.mark.parametrize(
    ("question", "topic"),
    [("can I pay the passport fee with ABA", "passport"),
     ("I live in Thailand, e-visa to visit Cambodia", "evisa"),
     ("KOICA scholarship Korea student", "koica-fellowship"),
     ("I'm going to Korea, can I renew my passport at the embassy there", "passport"),
     ("send money with Bakong to my ACLEDA account", "bakong"),
     ("how to pay the traffic fine through ABA", "driving-licence"),
     ("ផ្ទេរលុយតាមបាគងទៅគណនី ACLEDA បានទេ", "bakong"),
     ("លីសង់ផុតកំណត់ ប្តូរថ្មីយ៉ាងម៉េច", "driving-licence")],
)
def test_a_place_or_bank_named_in_passing_keeps_our_answer(bundled_assistant, question, topic):
    answer = bundled_assistant.ask(question)
    assert answer.status == "answer" and answer.entry.topic == topic


def test_a_hotel_named_in_passing_keeps_our_topic(bundled_assistant):
    """"address" is also a website's address (the official-websites entry), so the confidence
    model may offer choices here rather than answer; what it must not do is treat the hotel as
    somewhere else and drop the e-Arrival entries."""
    answer = bundled_assistant.ask("what hotel address do I put in e-arrival")
    first = answer.entry or answer.suggestions[0].entry
    assert answer.status in ("answer", "suggest") and first.topic == "e-arrival"


def test_a_banks_product_is_not_ours_unless_one_of_our_services_is_named():
    scope = Scope.from_lists({"banks_own": ["aba card"], "services": ["passport"]})
    assert scope.mentions("lost my ABA card").not_ours == {"aba card"}
    assert not scope.mentions("pay the passport fee with my ABA card").not_ours


def test_a_question_naming_a_bank_and_none_of_our_services_is_the_banks():
    scope = Scope.from_lists({"banks": ["aba acleda"], "services": ["passport bakong"]})
    assert scope.mentions("ABA call center number").not_ours == {"aba"}
    assert scope.mentions("transfer from ABA to ACLEDA stuck").not_ours == {"aba", "acleda"}
    assert not scope.mentions("pay the passport fee at ABA").not_ours
    assert not scope.mentions("abandoned passport").not_ours  # a word, not a substring


@pytest.mark.parametrize(("question", "answered"), [
    ("how much is the Wing transfer fee to the province", False),  # was Bakong transfers
    ("Wing card lost", False),  # was the national ID card
    ("ACLEDA branch opening hours on Saturday", False),  # was paying tax at a branch
    ("transfer money from ABA to ACLEDA", True),  # Bakong links the banks: ours
    ("pay tax with wing", True),  # paying one of our fees through Wing is ours
    ("bakong transfer to my wing account", True),
])
def test_a_banks_own_business_is_not_ours(bundled_assistant, question, answered):
    assert (bundled_assistant.ask(question).status == "answer") is answered


def test_a_latin_not_ours_phrase_starts_a_word_but_may_end_inside_one():
    scope = Scope.from_lists({"not_ours_phrases": ["us visa", "home loan", "ប្លង់ដី"],
                              "banks_own": ["wing money"]})
    assert scope.mentions("how much is the us visa fee").not_ours == {"us visa"}
    assert scope.mentions("interest on home loans").not_ours == {"home loan"}
    assert scope.mentions("ប្លង់ដីបាត់").not_ours == {"ប្លង់ដី"}
    assert not scope.mentions("my previous visa was refused").not_ours
    assert not scope.mentions("hacked, they are borrowing money from friends").not_ours


def test_suspicion_phrases_mark_a_question_asking_whether_something_is_a_scam():
    scope = Scope.from_lists({"suspicion": ["legit", "ពិតឬបោក"]})
    assert scope.mentions("passport in 2 days, is this LEGIT?").suspicious
    assert scope.mentions("ពិត ឬ បោក?").suspicious  # Khmer spacing does not matter
    assert not scope.mentions("how do I renew my passport").suspicious
    assert not scope.mentions("passport in 2 days, is this legit?") and not Scope().mentions(
        "is this legit").suspicious  # nothing ruled out, and no list means no suspicion


def test_a_romanised_suspicion_phrase_matches_its_other_spellings_but_one_word_does_not():
    scope = Scope.from_lists({"suspicion": ["touk chet ban", "bok te", "legit"]})
    assert scope.suspicious_romanised("neak kandal som luy tveu pasepor, touk tchet ban te")
    assert scope.suspicious_romanised("tuk chett ban ot bong")
    # "legit" is matched as written only: "likhet" (លិខិត, a letter) folds the same way
    assert not scope.suspicious_romanised("likhet bonhjak ke phnhoe mok, check pit ot")
    # English question words are not folded, and words across a clause do not join
    assert not scope.suspicious_romanised("How can I book the driving test?")
    assert not scope.suspicious_romanised("my family book. te")


@pytest.mark.parametrize(("question", "entry"), [
    # someone calling as an official, and whether one is being cheated
    ("A man rang me claiming to be from the tax department and wants the code sent to my phone",
     "scam-code-requests"),
    ("Someone called me saying he is from the ministry, he wants the OTP code from my phone",
     "scam-code-requests"),
    ("មានគេតេមកថាជាមន្ត្រីក្រសួង សុំលេខកូដ OTP ដែលផ្ញើមកទូរស័ព្ទខ្ញុំ", "scam-code-requests"),
    ("ភ្នាក់ងារម្នាក់ប្រាប់ថាធ្វើលិខិតឆ្លងដែនបាន២ថ្ងៃ យកលុយ២០០ដុល្លារ គួរជឿទេ", "scam-extra-fees"),
    # the same words said innocently keep the service's own answer (found by review): a
    # document that "says he is from", a laundry (ការបោកគក់), a motorbike that hit (បុក) me
    ("where do I get the code to log in to CamDigiKey", "camdigikey-use"),
    ("My father's ID card says he is from Takeo but he lives in Phnom Penh now, how does he "
     "renew it?", "id-card-renewal"),
    ("ហាងខ្ញុំជាការបោកគក់ តើត្រូវបង់ពន្ធប៉ាតង់ប្រចាំឆ្នាំទេ?", "tax-patent-annual"),
    ("moto ke bok khnhom haey ban bek bor bat, som thmey yang mec", "driving-licence-lost"),
])
def test_a_message_from_someone_posing_as_an_official_gets_the_warning(
        bundled_assistant, question, entry):
    answer = bundled_assistant.ask(question)
    assert (answer.status, answer.entry.id if answer.entry else None) == ("answer", entry)


def test_asking_which_link_to_click_is_not_asking_about_a_scam(bundled_assistant):
    """"Should I click" is also how people ask their way through a form (found by review)."""
    answer = bundled_assistant.ask("Which button should I click to download my e-visa?")
    assert answer.entry is None or answer.entry.topic != "scam-warnings"
    assert not bundled_assistant.snapshot.matcher.rank(
        "Which button should I click to download my e-visa?")[0].suspicious


def test_only_a_question_read_as_romanised_khmer_is_checked_by_its_fold(bundled_assistant):
    """"Can I book there online" is English: its "book there" is not "bok te" (a scam?)."""
    matcher = bundled_assistant.snapshot.matcher
    assert not matcher.rank("Can I book there online for the driving licence test?")[0].suspicious
    assert matcher.rank("neak kandal som luy tveu passport leuon, touk tchet ban te")[0].suspicious


def test_an_editor_extends_what_is_not_ours_in_the_knowledge_file(tmp_path, knowledge):
    """A subject added to scope.yaml stops the bot from answering it, with no code change."""
    from bot.assistant import Assistant
    from bot.config import Settings

    question = "apply evisa for my pet"
    before = Assistant.open(Settings(db_path=tmp_path / "a.db", knowledge_dir=knowledge))
    assert before.ask(question).status == "answer"
    (knowledge / "scope.yaml").write_text("not_ours_words: [pet]\n", encoding="utf-8")
    after = Assistant.open(Settings(db_path=tmp_path / "b.db", knowledge_dir=knowledge))
    assert after.ask(question).status != "answer"


def test_a_word_only_not_ours_questions_use_still_counts_as_novel(tmp_path, knowledge):
    """Marking "reset my gmail password" not ours must not make "gmail" look known: the
    confidence model weighs novelty over the entries alone, and would answer more readily."""
    from bot.assistant import Assistant
    from bot.config import Settings

    def novelty(not_ours: str, name: str) -> float:
        (knowledge / "scope.yaml").write_text(
            f"not_ours_questions: [{not_ours}]\n", encoding="utf-8")
        assistant = Assistant.open(Settings(db_path=tmp_path / name, knowledge_dir=knowledge))
        return assistant.snapshot.matcher.rank("apply evisa with my gmail", 1)[0].novel

    uses_it = novelty("how do I reset my gmail password", "a.db")
    assert uses_it > 0
    assert uses_it == novelty("how do I reset my tiktok password", "b.db")


def test_a_scope_file_with_an_unknown_list_is_refused_at_its_line(knowledge):
    from bot.kb.importer import load_knowledge as load

    (knowledge / "scope.yaml").write_text(
        "places: [atlantis]\nnot_our_words: [golf]\nmarkers:\n  going: [3]\n", encoding="utf-8")
    problems = [(p.line, p.field) for p in load(knowledge).errors]
    assert (2, "not_our_words") in problems and (4, "markers.going") in problems


def test_a_gap_marked_not_ours_is_refused_from_then_on(settings):
    """/gaps → 🚫 Not ours: the same kind of question gets "I don't know", and the question is
    kept as knowledge (scope.yaml on export), not as something a person asked."""
    from bot.assistant import Assistant
    from bot.conversation import Conversation, Sender
    from bot.editing import NOT_OURS, gap_key
    from bot.kb.export import write_folder
    from bot.store.gaps import gaps

    assistant = Assistant.open(settings)
    conversation = Conversation.for_settings(assistant, settings,
                                             extra_editors=frozenset({"tg:9"}))
    asked = "apply evisa for my pet"
    conversation.people.log_query(conversation.people.hash("tg:1"), "en", asked, "fallback",
                                  None, 40.0)
    [gap] = gaps(assistant.db)
    assert assistant.ask("apply e-visa for my pet?").status == "answer"
    outcome = conversation.action(Sender("tg:9", "en", "tg:9"), NOT_OURS + gap_key(gap))
    assert "not ours" in outcome.notice
    assert assistant.ask("apply e-visa for my pet?").status == "fallback"
    assert assistant.ask("How do I apply for a Cambodian e-visa?").status == "answer"
    assert gaps(assistant.db) == []
    out = settings.db_path.parent / "export"
    write_folder(assistant.db, out)
    assert asked in (out / "scope.yaml").read_text("utf-8")
