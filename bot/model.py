"""The knowledge base's data types, shared by the engine, the store and the knowledge files.

Plain frozen dataclasses with no behaviour beyond small derived views: every layer can pass them
around without importing another layer.
"""

from __future__ import annotations

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
    sources: tuple[str, ...] = ()
    reviewed: date | None = None
    expires: date | None = None
    related: tuple[str, ...] = ()
    status: str = "published"
    opens: date | None = None  # optional: when applications open (subscribers are reminded)
    deadline: date | None = None  # optional: the last day to apply (subscribers are reminded)

    def text(self, lang: str) -> EntryText:
        """The entry in `lang`, or in the other language when that one is missing (drafts)."""
        return self.texts.get(lang) or next(iter(self.texts.values()))

    def is_current(self, today: date) -> bool:
        """Published and not past its `expires` date: may be served as a current answer."""
        return self.status == "published" and (self.expires is None or today <= self.expires)


def entry_to_dict(entry: Entry) -> dict[str, object]:
    """The JSON-able form used for revisions and exports; `entry_from_dict` reverses it exactly.

    The optional `opens` and `deadline` dates appear only when set.
    """
    dates = {
        name: value.isoformat()
        for name, value in (("opens", entry.opens), ("deadline", entry.deadline))
        if value is not None
    }
    return {
        "id": entry.id,
        "topic": entry.topic,
        "category": entry.category,
        "status": entry.status,
        "audience": list(entry.audience),
        "official_url": entry.official_url,
        "sources": list(entry.sources),
        "reviewed": entry.reviewed.isoformat() if entry.reviewed else None,
        "expires": entry.expires.isoformat() if entry.expires else None,
        "related": list(entry.related),
        **dates,
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


def entry_from_dict(data: dict) -> Entry:
    """Build an Entry from its dict form (as written by `entry_to_dict` or read from YAML)."""

    def as_date(value: object) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

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
        sources=tuple(data.get("sources") or ()),
        reviewed=as_date(data.get("reviewed")),
        expires=as_date(data.get("expires")),
        related=tuple(data.get("related") or ()),
        status=str(data.get("status") or "published"),
        opens=as_date(data.get("opens")),
        deadline=as_date(data.get("deadline")),
    )
