"""The knowledge base's data types, shared by the engine, the store and the knowledge files.

Plain frozen dataclasses with no behaviour beyond small derived views: every layer can pass them
around without importing another layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

LANGS: tuple[str, ...] = ("km", "en")

TOPICS: dict[str, tuple[str, ...]] = {
    "services": (
        "camdigikey", "passport", "id-card", "civil-registration", "driving-licence", "verify",
        "bakong", "scam-warnings",
    ),
    "visitors": ("evisa", "e-arrival"),
    "business": ("business-registration", "tax", "camdx"),
    "training": (
        "xr-training", "ict-convergence-village", "metaverse-contest", "techo-scholarship",
        "cadt", "digital-skills-loan", "koica-fellowship",
    ),
    "policy": ("digital-government-policy", "digital-economy-framework", "egov-ranking"),
    "help": ("about-bot", "privacy", "contact", "greeting"),
}
TOPIC_SLUGS: frozenset[str] = frozenset(t for group in TOPICS.values() for t in group)
# Categories whose answers people can subscribe to ("Notify me about updates").
SUBSCRIBABLE_CATEGORIES: frozenset[str] = frozenset(
    {"training", "services", "visitors", "business"})
SUBSCRIBABLE_TOPICS: frozenset[str] = frozenset(
    t for category in SUBSCRIBABLE_CATEGORIES for t in TOPICS[category])


STANDINGS: tuple[str, ...] = ("official", "press", "other")  # best first


@dataclass(frozen=True)
class Source:
    """A page a fact comes from, and how far a citizen can trust it.

    `standing` says who stands behind the page: "official" (the government or the institution
    itself), "press" (a newspaper or news agency reporting it) or "other" (anything else). An
    answer resting only on press reports says so to the reader; see docs/content-guide.md.
    """

    url: str
    standing: str = "other"
    publisher: str | None = None  # who published the page, e.g. "Phnom Penh Post"
    date: date | None = None  # the page's own date, e.g. the day a report appeared

    def as_dict(self) -> dict[str, str]:
        """The mapping form of the knowledge files; publisher and date only when known."""
        data = {"url": self.url, "standing": self.standing}
        if self.publisher is not None:
            data["publisher"] = self.publisher
        if self.date is not None:
            data["date"] = self.date.isoformat()
        return data


def best_sources(sources: tuple[Source, ...]) -> tuple[Source, ...]:
    """The sources, official first, then press, then other (stable within a standing)."""
    rank = {standing: i for i, standing in enumerate(STANDINGS)}
    return tuple(sorted(sources, key=lambda s: rank.get(s.standing, len(STANDINGS))))


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def source_from_data(value: object, standing_of: Callable[[str], str] | None = None) -> Source:
    """A Source from its file form: a mapping (url, standing, publisher, date) or a plain URL.

    A plain URL, or a mapping without `standing`, takes its standing from `standing_of` (the
    domain lists of knowledge/sources.yaml), or "other" when none is given.
    """
    if isinstance(value, dict):
        url = str(value["url"])
        standing = value.get("standing")
        publisher = value.get("publisher")
        return Source(
            url=url,
            standing=str(standing) if standing else (standing_of(url) if standing_of else "other"),
            publisher=None if publisher is None else str(publisher),
            date=_as_date(value.get("date")),
        )
    url = str(value)
    return Source(url, standing_of(url) if standing_of else "other")


@dataclass(frozen=True)
class Question:
    """One way people ask for an entry; `origin` tells curated wording from editor-attached gaps."""

    text: str
    origin: str = "curated"


@dataclass(frozen=True)
class EntryText:
    """An entry in one language."""

    title: str
    answer: str
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One answer, paired bilingual: one id, one set of facts, two languages."""

    id: str
    topic: str
    category: str
    texts: dict[str, EntryText]
    audience: tuple[str, ...] = ()
    official_url: str | None = None
    sources: tuple[Source, ...] = ()
    reviewed: date | None = None
    expires: date | None = None
    related: tuple[str, ...] = ()
    status: str = "published"
    opens: date | None = None  # optional: when applications open (subscribers are reminded)
    deadline: date | None = None  # optional: the last day to apply (subscribers are reminded)
    # Optional: a special-case entry (an embassy abroad, one group of people) is answered only
    # when the question contains one of these words (after normalisation and synonyms).
    only_when: tuple[str, ...] = ()

    def text(self, lang: str) -> EntryText:
        """The entry in `lang`, or in the other language when that one is missing (drafts)."""
        return self.texts.get(lang) or next(iter(self.texts.values()))

    def is_current(self, today: date) -> bool:
        """Published and not past its `expires` date: may be served as a current answer."""
        return self.status == "published" and (self.expires is None or today <= self.expires)


def entry_to_dict(entry: Entry) -> dict[str, object]:
    """The JSON-able form used for revisions and exports; `entry_from_dict` reverses it exactly.

    The optional `opens` and `deadline` dates and `only_when` words appear only when set.
    """
    optional: dict[str, object] = {
        name: value.isoformat()
        for name, value in (("opens", entry.opens), ("deadline", entry.deadline))
        if value is not None
    }
    if entry.only_when:
        optional["only_when"] = list(entry.only_when)
    return {
        "id": entry.id,
        "topic": entry.topic,
        "category": entry.category,
        "status": entry.status,
        "audience": list(entry.audience),
        "official_url": entry.official_url,
        "sources": [source.as_dict() for source in entry.sources],
        "reviewed": entry.reviewed.isoformat() if entry.reviewed else None,
        "expires": entry.expires.isoformat() if entry.expires else None,
        "related": list(entry.related),
        **optional,
        **{
            lang: {
                "title": text.title,
                "answer": text.answer,
                "questions": [
                    q.text if q.origin == "curated" else {"text": q.text, "origin": q.origin}
                    for q in text.questions
                ],
            }
            for lang, text in entry.texts.items()
        },
    }


def entry_from_dict(data: dict, standing_of: Callable[[str], str] | None = None) -> Entry:
    """Build an Entry from its dict form (as written by `entry_to_dict` or read from YAML).

    `standing_of` gives the standing of a source written as a plain URL (see `source_from_data`).
    """
    def question(q: object) -> Question:
        if isinstance(q, dict):
            return Question(str(q["text"]), str(q.get("origin", "curated")))
        return Question(str(q))

    texts = {
        lang: EntryText(
            title=str(data[lang].get("title") or ""),
            answer=str(data[lang].get("answer") or ""),
            questions=tuple(question(q) for q in data[lang].get("questions") or ()),
        )
        for lang in LANGS
        if isinstance(data.get(lang), dict)
    }
    return Entry(
        id=str(data["id"]),
        topic=str(data.get("topic") or ""),
        category=str(data.get("category") or ""),
        texts=texts,
        audience=tuple(data.get("audience") or ()),
        official_url=data.get("official_url"),
        sources=tuple(source_from_data(s, standing_of) for s in data.get("sources") or ()),
        reviewed=_as_date(data.get("reviewed")),
        expires=_as_date(data.get("expires")),
        related=tuple(data.get("related") or ()),
        status=str(data.get("status") or "published"),
        opens=_as_date(data.get("opens")),
        deadline=_as_date(data.get("deadline")),
        only_when=tuple(str(word) for word in data.get("only_when") or ()),
    )


def editor_name(ref: str) -> str:
    """How the revision history names an editor: "telegram:<id>" for a Telegram account (as
    docs/security.md says), other channels' references as they are ("console:local")."""
    kind, _, number = ref.partition(":")
    return f"telegram:{number}" if kind == "tg" else ref
