"""Questions about somewhere or something else: "Thai visa", "US passport", "Bakong temple".

They share every content word with a Cambodian entry except the country, so fuzzy scores alone
put them above the answer threshold (dev set: the highest-scoring out-of-scope questions were
all of this kind). A place or scheme named in the question that the entry never speaks of says
the question is about somewhere else; the bot then offers the Cambodian entries as choices
instead of answering as if they applied.

Country names are language data, like stopwords: they change as rarely, so they live here
rather than in the editors' knowledge files. An entry that does speak of a place (KOICA and
Korea) is not affected: the check is against the entry's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.normalize import normalize
from bot.engine.segment import split_words

# Other countries and their people, as typed (normalised and segmented like any question).
# Left out on purpose: words that are also a language or a pronoun in questions we answer
# ("english", "us"); "US" in capitals is read as "usa" before normalising.
_PLACES = {
    "en": (
        "thailand thai vietnam vietnamese viet laos lao laotian malaysia malaysian singapore "
        "singaporean indonesia indonesian bali philippines philippine filipino myanmar burma "
        "burmese brunei china chinese japan japanese korea korean taiwan taiwanese hongkong hong "
        "india indian usa america american canada canadian mexico australia australian zealand "
        "uk britain british england france french germany german italy italian spain spanish "
        "netherlands dutch russia russian europe european uae dubai qatar turkey"
    ),
    "km": (
        "ថៃ វៀតណាម យួន ឡាវ ម៉ាឡេស៊ី សិង្ហបុរី ឥណ្ឌូនេស៊ី ហ្វីលីពីន មីយ៉ាន់ម៉ា ភូមា ប្រ៊ុយណេ "
        "ចិន ជប៉ុន កូរ៉េ តៃវ៉ាន់ ហុងកុង ឥណ្ឌា អាមេរិក អាមេរិកាំង កាណាដា អូស្ត្រាលី ញូវហ្សេឡង់ "
        "បារាំង អាល្លឺម៉ង់ អ៊ីតាលី អេស្ប៉ាញ ហូឡង់ រុស្ស៊ី អឺរ៉ុប ឌូបៃ"
    ),
}

# Things no public-service answer speaks of: another country's own visa and arrival schemes,
# and everyday subjects whose questions share a word with ours ("Bakong temple", "weather in
# Siem Reap", "gold price"). An entry that does use the word is not affected.
_NOT_OURS = (
    "schengen tdac esta mext k-eta keta temple pagoda weather forecast rain football lottery "
    "horoscope gold recipe hotel ប្រាសាទ វត្ត អាកាសធាតុ ភ្លៀង បាល់ទាត់ ឆ្នោត ហោរាសាស្ត្រ មាស "
    "សណ្ឋាគារ"
)
# Questions about the clock, which share "time"/"ម៉ោង" with processing-time answers.
_NOT_OURS_PHRASES = ("what time is it", "time now", "ម៉ោងប៉ុន្មានហើយ", "ឥឡូវម៉ោងប៉ុន្មាន")

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
# passport holder") is the asker's nationality, which visitor entries expect.
_ORIGIN_BEFORE = "from for ពី មកពី ជនជាតិ ពលរដ្ឋ ប្រជាជន លិខិតឆ្លងដែន ប៉ាស្ព័រ"
_ORIGIN_AFTER = "citizen national passport nationality holder"

_US_RE = re.compile(r"\bU\.?S\.?A?\b(?!\w)")


def _words(text: str) -> frozenset[str]:
    return frozenset(w for part in text.split() for w in split_words(normalize(part)))


PLACES = _words(" ".join(_PLACES.values()))
NOT_OURS = _words(_NOT_OURS)
NOT_OURS_PHRASES = tuple(normalize(p) for p in _NOT_OURS_PHRASES)
HOME_NATION = _words(_HOME_NATION)
HOME_PLACES = _words(_HOME_PLACES)
ORIGIN_BEFORE = _words(_ORIGIN_BEFORE)
ORIGIN_AFTER = _words(_ORIGIN_AFTER)


@dataclass(frozen=True)
class Mentions:
    """The places and other subjects a question names, and how it names them."""

    places: frozenset[str] = frozenset()
    origins: frozenset[str] = frozenset()  # places named as the asker's nationality
    not_ours: frozenset[str] = frozenset()  # schemes, subjects and phrases of _NOT_OURS
    home_nation: bool = False
    home_place: bool = False

    def __bool__(self) -> bool:
        return bool(self.places or self.not_ours)

    def elsewhere(self, uses: frozenset[str], for_visitors: bool) -> bool:
        """Whether an entry using the words `uses` would answer a question about somewhere else.

        Visitor entries are for people of every nationality, so a nationality ("from France") or
        a Cambodian destination keeps them; other entries are Cambodia's own services, which only
        the nation's name ties to the question.
        """
        if self.not_ours - uses:
            return True
        foreign = self.places - uses
        if not foreign or self.home_nation:
            return False
        if for_visitors:
            return bool(foreign - self.origins) and not self.home_place
        return True


def mentions(text: str) -> Mentions:
    """Find the places, schemes and other subjects named in a raw question."""
    normalized = normalize(_US_RE.sub(" usa ", text))
    words = split_words(normalized)
    places: set[str] = set()
    origins: set[str] = set()
    for i, word in enumerate(words):
        if word not in PLACES:
            continue
        places.add(word)
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if before in ORIGIN_BEFORE or after in ORIGIN_AFTER:
            origins.add(word)
    joined = set(words)
    return Mentions(
        places=frozenset(places),
        origins=frozenset(origins),
        not_ours=frozenset(joined & NOT_OURS).union(
            p for p in NOT_OURS_PHRASES if p in normalized),
        home_nation=bool(joined & HOME_NATION),
        home_place=bool(joined & HOME_PLACES),
    )
