"""Questions about somewhere or something else: "Thai visa", "US passport", "Bakong temple".

They share every content word with a Cambodian entry except the country, so fuzzy scores alone
put them above the answer threshold (dev set: the highest-scoring out-of-scope questions were
all of this kind). A place or scheme named in the question that the entry never speaks of says
the question is about somewhere else; the bot then offers the Cambodian entries as choices
instead of answering as if they applied.

The words themselves (countries, nationalities, everyday subjects, banks' own products, the
markers around a country) are knowledge that editors change: they live in `knowledge/scope.yaml`
and reach this module as a `Scope` built from plain lists. This module holds only the mechanism.
An entry that does speak of a place (KOICA and Korea) is not affected: the check is against the
entry's own words. The exception is a country's own scheme ("Vietnam e-visa"), which no entry of
ours is, whatever places it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from bot.engine.normalize import normalize
from bot.engine.segment import STOPWORDS, romanised_fold, split_words

# The lists of knowledge/scope.yaml whose items are words (an item may hold several, separated by
# spaces), and the marker lists under `markers:`.
WORD_LISTS: tuple[str, ...] = (
    "places", "nationalities", "not_ours_words", "banks", "home_nation", "home_places",
    "services")
MARKER_LISTS: tuple[str, ...] = (
    "origin_before", "origin_after", "nationality_before", "nationality_nouns", "people",
    "scheme_after", "visa_kinds", "scheme_before", "destination_before", "going",
    "language_before", "language_after", "converting", "into", "own_after", "foreign")
# The lists whose items are whole phrases or questions, one per item.
PHRASE_LISTS: tuple[str, ...] = (
    "not_ours_phrases", "banks_own", "suspicion", "not_ours_questions")
SCOPE_LISTS: tuple[str, ...] = (*WORD_LISTS, *PHRASE_LISTS)

_ARTICLES = frozenset({"the", "a"})
# How many words ahead of a place a Khmer "going" word still marks it as a destination: the
# purpose often takes three words between them ("ទៅ|ប្រកួត|កីឡា|នៅ|សិង្ហបុរី").
_GOING_REACH = 4
# How many words before the nation's name an "into" word may be ("to a Cambodian one",
# "ជាប័ណ្ណបើកបរខ្មែរ": the thing converted sits between them).
_INTO_REACH = 3

_US_RE = re.compile(r"\bU\.?S\.?A?\b(?!\w)")


def _words(items: Sequence[str]) -> frozenset[str]:
    return frozenset(w for item in items for part in str(item).split()
                     for w in split_words(normalize(part)))


@dataclass(frozen=True)
class Scope:
    """The scope word lists, normalised and segmented the way questions are.

    Built with `Scope.from_lists` from the mapping read from knowledge/scope.yaml; the empty
    `Scope()` knows no place and no subject, so nothing is ruled out.
    """

    places: frozenset[str] = frozenset()
    nationalities: frozenset[str] = frozenset()
    not_ours_words: frozenset[str] = frozenset()
    home_nation: frozenset[str] = frozenset()
    home_places: frozenset[str] = frozenset()
    # Words naming one of our services ("bakong", "passport"): next to one of them, a bank's own
    # product ("ABA card", "ACLEDA account") is how the person pays or where money goes, not the
    # subject of the question, so `banks_own` does not rule it out.
    services: frozenset[str] = frozenset()
    # Banks' names ("aba", "acleda"): a question naming a bank and none of `services` is about
    # the bank's own business (its call centre, a transfer stuck between two banks).
    banks: frozenset[str] = frozenset()
    not_ours_phrases: tuple[str, ...] = ()
    banks_own: tuple[str, ...] = ()
    # Phrases by which a person asks whether something is a scam ("legit", "ពិតឬបោក"): the
    # question is then about the offer, not the service it names (engine/decide.py).
    suspicion: tuple[str, ...] = ()
    # Whole questions editors marked "not ours": matched like question variants (matcher.py).
    not_ours_questions: tuple[str, ...] = ()
    markers: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_lists(cls, lists: Mapping[str, object]) -> Scope:
        """A Scope from knowledge/scope.yaml's mapping (missing lists are empty)."""
        def items(value: object) -> list[str]:
            return [str(v) for v in value] if isinstance(value, (list, tuple)) else []

        markers = lists.get("markers")
        markers = markers if isinstance(markers, Mapping) else {}
        nationalities = _words(items(lists.get("nationalities")))

        def phrases(name: str) -> tuple[str, ...]:
            return tuple(p for p in (normalize(x) for x in items(lists.get(name))) if p)

        return cls(
            places=_words(items(lists.get("places"))) | nationalities,
            nationalities=nationalities,
            not_ours_words=_words(items(lists.get("not_ours_words"))),
            home_nation=_words(items(lists.get("home_nation"))),
            home_places=_words(items(lists.get("home_places"))),
            services=_words(items(lists.get("services"))),
            banks=_words(items(lists.get("banks"))),
            not_ours_phrases=phrases("not_ours_phrases"),
            banks_own=phrases("banks_own"),
            suspicion=phrases("suspicion"),
            not_ours_questions=tuple(items(lists.get("not_ours_questions"))),
            markers={name: _words(items(markers.get(name))) for name in MARKER_LISTS},
        )

    @cached_property
    def _suspicion_folds(self) -> frozenset[tuple[str, ...]]:
        """The suspicion phrases of several words in Latin letters, each word by its fold
        (`romanised_fold`). Not one word alone: "legit" folds as "likhet" (លិខិត, a letter)
        does."""
        return frozenset(tuple(map(romanised_fold, p.split())) for p in self.suspicion
                         if p.isascii() and " " in p)

    def suspicious_romanised(self, text: str) -> bool:
        """Whether a question in romanised Khmer asks whether something is a scam in a spelling
        no phrase lists: "touk tchet ban" is the listed "touk chet ban". Word by word by their
        fold, within one run of Latin words in one clause; English question words are never
        folded ("book the" is not "bok te"). The matcher asks it only of a question it reads as
        romanised Khmer: in English, "book out" would be "bok ot"."""
        phrases = self._suspicion_folds
        for clause in _CLAUSE_BREAK.split(text):
            for run in _LATIN_RUN.findall(normalize(clause)):
                folds = [w if w in STOPWORDS["en"] else romanised_fold(w) for w in run.split()]
                if any(tuple(folds[i:i + len(p)]) == p for p in phrases
                       for i in range(len(folds) - len(p) + 1)):
                    return True
        return False

    def marker(self, name: str) -> frozenset[str]:
        """One list of `markers:` (empty when the file has none)."""
        return self.markers.get(name, frozenset())

    def mentions(self, text: str) -> Mentions:
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
        scheme_spots: set[tuple[int, int]] = set()  # (clause, word) where a scheme is named
        for c, words in enumerate(clauses):
            for i, word in enumerate(words):
                if word not in self.places or self._is_language(words, i):
                    continue
                places.add(word)
                kind = self._place_kind(words, i)
                if kind == "origin":
                    origins.add(word)
                    incidental.add(word)
                    _, after = _around(words, i)
                    if after in self.marker("nationality_nouns"):  # "French citizens"
                        incidental.add(after)
                elif kind == "scheme":
                    schemes.add(word)
                    scheme_spots.add((c, i))
                if self._is_destination(words, i):
                    destinations.add(word)
                    incidental.add(word)
        joined = {w for words in clauses for w in words}
        converted: set[str] = set()
        if schemes and (self._into_home_nation(clauses, joined)
                        or self._wants_home_nation(clauses, scheme_spots)):
            # "convert my UK licence to a Cambodian one": the foreign licence is what the asker
            # brings, and the question is about the nation's own.
            converted, schemes = schemes, set()
            origins |= converted
            incidental |= converted
        ours = bool(joined & self.services)
        phrases = self.not_ours_phrases if ours else self.not_ours_phrases + self.banks_own
        banks = frozenset() if ours else joined & self.banks
        return Mentions(
            places=frozenset(places),
            origins=frozenset(origins),
            incidental=frozenset(incidental),
            schemes=frozenset(schemes),
            destinations=frozenset(destinations),
            converted=frozenset(converted),
            not_ours=frozenset(joined & self.not_ours_words | banks).union(
                p for p in phrases if _says(normalized, p, whole=False)),
            home_nation=bool(joined & self.home_nation),
            home_place=bool(joined & self.home_places),
            suspicious=any(_says(normalized, p) for p in self.suspicion),
        )

    def _place_kind(self, words: list[str], i: int) -> str | None:
        """"origin" (the asker's nationality), "scheme" (that country's own visa) or neither.

        Strong signs of the asker come first ("from France", "French passport holder", "my Thai
        wife"); then a scheme word next to the place ("Thai visa", "ទិដ្ឋាការថៃ"); only then the
        weak signs ("I'm Thai", "do Americans need…"), which "how much is Thai visa" must not trip.
        """
        word = words[i]
        before, after = _around(words, i)
        then = words[i + 2] if i + 2 < len(words) else ""
        nationality = word in self.nationalities
        scheme_after = self.marker("scheme_after")
        if (before in self.marker("origin_before")
                or after in self.marker("origin_after") | self.marker("nationality_nouns")
                or (nationality and after in self.marker("people") and then not in scheme_after)):
            return "origin"
        if word.isascii() and (after in scheme_after
                               or (after in self.marker("visa_kinds") and then == "visa")):
            return "scheme"
        if before in self.marker("scheme_before"):
            return "scheme"
        # Khmer names a nationality by its country: "មិត្តខ្ញុំជាបារាំង" (my friend is French).
        if (nationality or not word.isascii()) and before in self.marker("nationality_before"):
            return "origin"
        if nationality and (not after or after in STOPWORDS["en"]):
            return "origin"
        return None

    def _into_home_nation(self, clauses: list[list[str]], joined: set[str]) -> bool:
        """Whether the question converts something into the nation's own: the nation's name a
        few words after an "into" word ("to a Cambodian one", "ជាប័ណ្ណបើកបរខ្មែរ") that follows a
        converting word ("convert", "swap", "ប្តូរ") in the same clause. "How to convert my
        Cambodian licence to a Korean one" is not."""
        converting, into = self.marker("converting"), self.marker("into")
        if not joined & converting:
            return False
        for words in clauses:
            for i, word in enumerate(words):
                if word not in self.home_nation:
                    continue
                # the "into" word after a converting one: not the "to" of "how to convert"
                for j in range(max(i - _INTO_REACH, 0), i):
                    if words[j] in into and converting & set(words[:j]):
                        return True
        return False

    def _wants_home_nation(self, clauses: list[list[str]],
                           scheme_spots: set[tuple[int, int]]) -> bool:
        """Whether the question names the nation's own scheme after a foreign one, as the
        thing it wants: "I only have my US licence … how do I get a proper Cambodian driving
        licence?", "មានប័ណ្ណបើកបរអាមេរិក ចង់បានប័ណ្ណបើកបរខ្មែរ". The nation is named the way a
        foreign scheme is (before a `scheme_after` or `own_after` word: "Cambodian licence",
        "a Cambodian one"; or after a `scheme_before` word), and later in the question than the
        foreign scheme (`scheme_spots`, where `mentions` found them): in "my Cambodian licence
        … a Korean one" the Korean one is wanted."""
        after = self.marker("scheme_after") | self.marker("own_after")
        before_own = self.marker("scheme_before")
        foreign_named = False
        for c, words in enumerate(clauses):
            for i, word in enumerate(words):
                if (c, i) in scheme_spots:
                    foreign_named = True
                elif foreign_named and word in self.home_nation:
                    before, following = _around(words, i)
                    if following in after or before in before_own:
                        return True
        return False

    def _is_language(self, words: list[str], i: int) -> bool:
        """Whether the place word at `i` names a language ("speak Korean", "ភាសាកូរ៉េ"), which
        says nothing about where the question is about."""
        before, after = _around(words, i)
        return (before in self.marker("language_before")
                or after in self.marker("language_after"))

    def _is_destination(self, words: list[str], i: int) -> bool:
        before, _ = _around(words, i)
        ahead = words[i - 2] if before in _ARTICLES and i > 1 else before  # "to the UK"
        return (ahead in self.marker("destination_before")
                or bool(self.marker("going") & set(words[max(i - _GOING_REACH, 0) : i])))


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
    # places whose scheme the asker converts into the nation's own ("my UK licence to a
    # Cambodian one"): the matcher reads them as the word for foreign (`markers: foreign`)
    converted: frozenset[str] = frozenset()
    not_ours: frozenset[str] = frozenset()  # subjects and phrases that are not ours
    home_nation: bool = False
    home_place: bool = False
    suspicious: bool = False  # the person asks whether something is a scam

    def __bool__(self) -> bool:
        return bool(self.places or self.not_ours)

    def elsewhere(self, uses: frozenset[str], for_visitors: bool,
                  for_residents: bool | None = None) -> bool:
        """Whether an entry using the words `uses` would answer a question about somewhere else.

        Another country's own scheme ("Thai visa") is never ours. Visitor entries are for people
        of every nationality coming to Cambodia, so a nationality ("from France") or a Cambodian
        place keeps them, and a trip elsewhere does not; other entries are Cambodia's own
        services, which the nation's name ties to the question and a trip abroad does not untie.
        An entry read both ways (`for_residents` with `for_visitors`: a scam warning) is about
        somewhere else only when both readings say so: a citizen going to work in Korea still
        needs the warning about the broker. `for_residents` defaults to not `for_visitors`.
        """
        if self.not_ours - uses or self.schemes:
            return True
        if for_residents is None:
            for_residents = not for_visitors
        return ((not for_visitors or self._far_for_visitors(uses))
                and (not for_residents or self._far_for_residents(uses)))

    def _far_for_visitors(self, uses: frozenset[str]) -> bool:
        if self.destinations:
            return True
        # Cambodians are not the visitors these entries are for: "visa for Australia for
        # Cambodians" is Australia's visa.
        foreign = self.places - uses - self.origins
        return bool(foreign) and not self.home_place

    def _far_for_residents(self, uses: frozenset[str]) -> bool:
        foreign = self.places - uses - self.destinations
        return bool(foreign) and not self.home_nation


def _says(normalized: str, phrase: str, whole: bool = True) -> bool:
    """Whether a normalised text holds a phrase: Latin phrases as whole words ("legit" is not in
    "legitimate"), Khmer ones anywhere (Khmer writes no spaces between words). With `whole`
    false a Latin phrase must still start a word ("us visa" is not in "previous visa", "wing
    money" not in "borrowing money") but may end inside one ("home loan" is in "home loans")."""
    if not phrase.isascii():
        return phrase in normalized
    end = r"(?![a-z0-9])" if whole else ""
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}{end}", normalized) is not None


def _around(words: list[str], i: int) -> tuple[str, str]:
    """The words just before and just after the one at `i` ("" at either end)."""
    return (words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "")


# Consecutive words written only in Latin letters.
_LATIN_RUN = re.compile(r"(?<!\S)[a-z]+(?:\s+[a-z]+)*(?!\S)")
_CLAUSE_BREAK = re.compile(r"[,;:?!។៕]+|\.(?:\s|$)|\s[-–—]\s")
