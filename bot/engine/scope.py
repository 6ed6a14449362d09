"""Questions about somewhere or something else: "Thai visa", "US passport", "Bakong temple".

They share every content word with a Cambodian entry except the country, so fuzzy scores alone
put them above the answer threshold (dev set: the highest-scoring out-of-scope questions were
all of this kind). A place or scheme named in the question that the entry never speaks of says
the question is about somewhere else; the bot then offers the Cambodian entries as choices
instead of answering as if they applied.

Country names are language data, like stopwords: they change as rarely, so they live here
rather than in the editors' knowledge files. An entry that does speak of a place (KOICA and
Korea) is not affected: the check is against the entry's own words. The exception is a
country's own scheme ("Vietnam e-visa"), which no entry of ours is, whatever places it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.normalize import normalize
from bot.engine.segment import STOPWORDS, split_words

# Other countries and their people, as typed (normalised and segmented like any question).
# Left out on purpose: words that are also a language or a pronoun in questions we answer
# ("english", "us"); "US" in capitals is read as "usa" before normalising.
_PLACES = {
    "en": (
        "thailand vietnam laos malaysia singapore indonesia bali philippines myanmar burma brunei "
        "china japan korea taiwan hongkong hong india usa america canada mexico australia zealand "
        "uk britain england france germany italy spain netherlands russia europe uae dubai qatar "
        "turkey"
    ),
    "km": (
        "ថៃ វៀតណាម យួន ឡាវ ម៉ាឡេស៊ី សិង្ហបុរី ឥណ្ឌូនេស៊ី ហ្វីលីពីន មីយ៉ាន់ម៉ា ភូមា ប្រ៊ុយណេ "
        "ចិន ជប៉ុន កូរ៉េ តៃវ៉ាន់ ហុងកុង ឥណ្ឌា អាមេរិក អាមេរិកាំង កាណាដា អូស្ត្រាលី ញូវហ្សេឡង់ "
        "បារាំង អាល្លឺម៉ង់ អ៊ីតាលី អេស្ប៉ាញ ហូឡង់ រុស្ស៊ី អឺរ៉ុប ឌូបៃ"
    ),
}
# Words for a country's people: after "I'm", "are" they are the asker's nationality ("I'm Indian",
# "are Thai citizens…"); "for" says nothing ("visa for Laos" is a trip, and "lao" is both).
_NATIONALITIES = (
    "thai vietnamese viet laotian malaysian singaporean indonesian philippine filipino "
    "burmese chinese japanese korean taiwanese indian american canadian australian british "
    "french german italian spanish dutch russian european"
)

# Things no public-service answer speaks of: another country's own visa and arrival schemes,
# and everyday subjects whose questions share a word with ours ("Bakong temple", "weather in
# Siem Reap", "gold price"). An entry that does use the word is not affected. Words that our
# answers use for a service (ABA pays a fee, a hotel goes on the e-Arrival form) are not here:
# every other entry would stop answering questions that merely mention them.
_NOT_OURS = (
    "schengen tdac esta mext k-eta keta temple pagoda weather forecast rain football lottery "
    "horoscope gold recipe hospital clinic mortgage paypal cellcard metfone sim citizenship "
    "naturalization naturalisation "
    "ប្រាសាទ វត្ត អាកាសធាតុ ភ្លៀង បាល់ទាត់ ឆ្នោត ហោរាសាស្ត្រ មាស សណ្ឋាគារ មន្ទីរពេទ្យ គ្លីនិក ស៊ីម"
)
# Questions about the clock, which share "time"/"ម៉ោង" with processing-time answers, and banks'
# loans, which share "loan"/"ខ្ចី" with the digital-skills loan (buying a car is not ours either,
# but registering one is).
_NOT_OURS_PHRASES = (
    "what time is it", "time now", "ម៉ោងប៉ុន្មានហើយ", "ឥឡូវម៉ោងប៉ុន្មាន",
    "house loan", "home loan", "car loan", "motorbike loan", "bank loan", "buy a house", "ទិញផ្ទះ",
    "ខ្ចីលុយធនាគារ", "ខ្ចីប្រាក់ធនាគារ", "get cambodian nationality", "become cambodian",
    # A bank's own products; paying a fee through ABA or ACLEDA is ours.
    "aba account", "aba app", "aba card", "acleda account", "acleda app", "acleda card",
    "acleda loan", "aba loan", "គណនី aba", "កាត aba", "គណនី acleda", "កាត acleda",
)

# Words that tie the question to Cambodia. `_HOME_NATION` names the nation itself ("Cambodian
# passport", "ប៉ាស្ព័រខ្មែរ"): the service asked about is Cambodia's. `_HOME_PLACES` only says where
# the asker is or is going: enough for a visitor's question ("Thai citizens: visa to Cambodia?"),
# not for a citizen's service ("renew my US passport in Phnom Penh").
_HOME_NATION = "cambodian khmer ខ្មែរ"
_HOME_PLACES = (
    "cambodia kampuchea phnom penh siem reap sihanoukville kampot battambang poipet angkor "
    "កម្ពុជា ភ្នំពេញ សៀមរាប ព្រះសីហនុ កំពត បាត់ដំបង ប៉ោយប៉ែត អង្គរ"
)

# A country named as where a visitor comes from ("from France", "ជនជាតិអាមេរិក", "French
# passport holder") is the asker's nationality, which visitor entries expect. A nationality word
# is one too after the weak markers, or when no noun follows it ("do Americans need a visa"):
# "Thai visa" is Thailand's visa.
_ORIGIN_BEFORE = "from ពី មកពី ជនជាតិ ពលរដ្ឋ ប្រជាជន លិខិតឆ្លងដែន ប៉ាស្ព័រ ទេសចរ ភ្ញៀវទេសចរ"
_NATIONALITY_BEFORE = "im am are is"
# Words that only say who the asker is; with the nationality they pick no entry.
_NATIONALITY_NOUNS = "citizen national nationality holder traveller traveler visitor expat"
_ORIGIN_AFTER = f"passport {_NATIONALITY_NOUNS}"
# People a nationality word describes ("my Thai wife", "a Korean tourist"): the traveller, unless
# a scheme follows ("Thai tourist visa" is Thailand's).
_PEOPLE = (
    "wife husband friend girlfriend boyfriend partner family mother father mom dad parent son "
    "daughter child kid colleague boss tourist student worker guest people"
)

# A place right before one of these is the country whose scheme is asked about ("Thai visa",
# "Vietnam e-visa", "Australia student visa", "ទិដ្ឋាការថៃ" with the place after): never ours, even
# from a Cambodian ("do Cambodians need a Thai visa"), even for an entry that names the place
# (the e-Visa's border crossings name Vietnam; "Vietnam e-visa" is still Vietnam's). "student",
# "tourist" and "work" count only before "visa" ("Australia student visa"; a "Korea student" may
# be a KOICA scholar). "e" is what "e visa" typed with a space leaves. English word order, so
# Latin-script places only ("ភ្ញៀវទេសចរថៃ e-Arrival" is a Thai tourist). Not "licence": "Thai driving
# licence" is already another country's for a citizen's entry, and a visitor's licence entry is
# about converting one.
_SCHEME_AFTER = "visa evisa e arrival earrival tdac embassy immigration"
_VISA_KINDS = "student tourist work business spouse"
_SCHEME_BEFORE = "visa evisa ទិដ្ឋាការ វីសា ស្ថានទូត"
# A place after these is where the asker is going: a visitor's entry is about coming to Cambodia,
# so it does not apply; a citizen's passport is what takes them there ("passport to visit France").
_DESTINATION_BEFORE = "to visit visiting into ទៅកាន់ ទៅលេង"
# Khmer puts the purpose between the going and the place ("ទៅធ្វើការនៅកូរ៉េ"), so ទៅ marks a
# destination a few words ahead.
_GOING = "ទៅ"
_ARTICLES = frozenset({"the", "a"})
_GOING_REACH = 3

_US_RE = re.compile(r"\bU\.?S\.?A?\b(?!\w)")


def _words(text: str) -> frozenset[str]:
    return frozenset(w for part in text.split() for w in split_words(normalize(part)))


NATIONALITIES = _words(_NATIONALITIES)
PLACES = _words(" ".join(_PLACES.values())) | NATIONALITIES
NOT_OURS = _words(_NOT_OURS)
NOT_OURS_PHRASES = tuple(normalize(p) for p in _NOT_OURS_PHRASES)
HOME_NATION = _words(_HOME_NATION)
HOME_PLACES = _words(_HOME_PLACES)
ORIGIN_BEFORE = _words(_ORIGIN_BEFORE)
NATIONALITY_BEFORE = _words(_NATIONALITY_BEFORE)
ORIGIN_AFTER = _words(_ORIGIN_AFTER)
PEOPLE = _words(_PEOPLE)
NATIONALITY_NOUNS = _words(_NATIONALITY_NOUNS)
SCHEME_AFTER = _words(_SCHEME_AFTER)
VISA_KINDS = _words(_VISA_KINDS)
SCHEME_BEFORE = _words(_SCHEME_BEFORE)
DESTINATION_BEFORE = _words(_DESTINATION_BEFORE)
GOING = _words(_GOING)


@dataclass(frozen=True)
class Mentions:
    """The places and other subjects a question names, and how it names them."""

    places: frozenset[str] = frozenset()
    origins: frozenset[str] = frozenset()  # places named as the asker's nationality
    # Who the asker is and where they go: the origins and the nouns saying so ("citizen"), and the
    # destinations. They pick no entry; `elsewhere` judges them.
    incidental: frozenset[str] = frozenset()
    schemes: frozenset[str] = frozenset()  # places whose own visa or arrival card is asked about
    destinations: frozenset[str] = frozenset()  # places the asker is going to
    not_ours: frozenset[str] = frozenset()  # schemes, subjects and phrases of _NOT_OURS
    home_nation: bool = False
    home_place: bool = False

    def __bool__(self) -> bool:
        return bool(self.places or self.not_ours)

    def elsewhere(self, uses: frozenset[str], for_visitors: bool) -> bool:
        """Whether an entry using the words `uses` would answer a question about somewhere else.

        Another country's own scheme ("Thai visa") is never ours. Visitor entries are for people
        of every nationality coming to Cambodia, so a nationality ("from France") or a Cambodian
        place keeps them, and a trip elsewhere does not; other entries are Cambodia's own
        services, which the nation's name ties to the question and a trip abroad does not untie.
        """
        if self.not_ours - uses or self.schemes:
            return True
        if for_visitors:
            if self.destinations:
                return True
            # Cambodians are not the visitors these entries are for: "visa for Australia for
            # Cambodians" is Australia's visa.
            foreign = self.places - uses - self.origins
            return bool(foreign) and not self.home_place
        foreign = self.places - uses - self.destinations
        return bool(foreign) and not self.home_nation


_CLAUSE_BREAK = re.compile(r"[,;:?!។៕]+|\.(?:\s|$)|\s[-–—]\s")


def mentions(text: str) -> Mentions:
    """Find the places, schemes and other subjects named in a raw question.

    Neighbouring words are read within a clause: in "I live in Thailand, e-visa to Cambodia?"
    Thailand is not the e-visa's country.
    """
    text = _US_RE.sub(" usa ", text)
    clauses = [split_words(normalize(part)) for part in _CLAUSE_BREAK.split(text)]
    normalized = normalize(text)
    places: set[str] = set()
    origins: set[str] = set()
    schemes: set[str] = set()
    destinations: set[str] = set()
    incidental: set[str] = set()
    for words in clauses:
        for i, word in enumerate(words):
            if word not in PLACES:
                continue
            places.add(word)
            kind = _place_kind(words, i)
            if kind == "origin":
                origins.add(word)
                incidental.add(word)
                after = words[i + 1] if i + 1 < len(words) else ""
                if after in NATIONALITY_NOUNS:  # "French citizens": the noun says no more
                    incidental.add(after)
            elif kind == "scheme":
                schemes.add(word)
            if _is_destination(words, i):
                destinations.add(word)
                incidental.add(word)
    joined = {w for words in clauses for w in words}
    return Mentions(
        places=frozenset(places),
        origins=frozenset(origins),
        incidental=frozenset(incidental),
        schemes=frozenset(schemes),
        destinations=frozenset(destinations),
        not_ours=frozenset(joined & NOT_OURS).union(
            p for p in NOT_OURS_PHRASES if p in normalized),
        home_nation=bool(joined & HOME_NATION),
        home_place=bool(joined & HOME_PLACES),
    )


def _place_kind(words: list[str], i: int) -> str | None:
    """"origin" (the asker's nationality), "scheme" (that country's own visa) or neither.

    Strong signs of the asker come first ("from France", "French passport holder", "my Thai
    wife"); then a scheme word next to the place ("Thai visa", "ទិដ្ឋាការថៃ"); only then the weak
    signs ("I'm Thai", "do Americans need…"), which "how much is Thai visa" must not trip.
    """
    word = words[i]
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    then = words[i + 2] if i + 2 < len(words) else ""
    nationality = word in NATIONALITIES
    if (before in ORIGIN_BEFORE or after in ORIGIN_AFTER
            or (nationality and after in PEOPLE and then not in SCHEME_AFTER)):
        return "origin"
    if word.isascii() and (after in SCHEME_AFTER or (after in VISA_KINDS and then == "visa")):
        return "scheme"
    if before in SCHEME_BEFORE:
        return "scheme"
    if nationality and (before in NATIONALITY_BEFORE or not after or after in STOPWORDS["en"]):
        return "origin"
    return None


def _is_destination(words: list[str], i: int) -> bool:
    before = words[i - 1] if i else ""
    ahead = words[i - 2] if before in _ARTICLES and i > 1 else before  # "to the UK"
    return ahead in DESTINATION_BEFORE or bool(GOING & set(words[max(i - _GOING_REACH, 0) : i]))
