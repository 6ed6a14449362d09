"""Gaps: what people asked that the bot could not answer, for editors to close.

A question is a gap when it got a fallback, or when the person rejected every suggestion ("none
of these", stored as status `rejected`). The same question arrives in many spellings and
spacings, so gaps are grouped by the normalised text the query log already stores, and each
group is shown with its most recent wording.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlite_utils

GAP_STATUSES: tuple[str, ...] = ("fallback", "rejected")
ORDERS = ("newest", "count")


@dataclass(frozen=True)
class Gap:
    """One unanswered question, however many times and ways it was asked."""

    text: str  # the most recent wording, as the person typed it
    normalized: str
    count: int
    first_at: str
    last_at: str
    langs: tuple[str, ...]
    fallback: int  # how many got "I don't know"
    rejected: int  # how many got suggestions and chose "none of these"

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (for `govbot kb gaps --json`)."""
        data = asdict(self)
        data["langs"] = list(self.langs)
        return data


def gaps(
    db: sqlite_utils.Database,
    *,
    since: str | None = None,
    limit: int | None = None,
    order: str = "newest",
) -> list[Gap]:
    """Unanswered questions grouped by normalised text; newest first, or most asked first.

    `since` is an ISO timestamp (as stored in the query log); `limit` caps the groups.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}")
    marks = ", ".join("?" for _ in GAP_STATUSES)
    where = (f"status in ({marks}) and coalesce(normalized, '') != '' "
             "and resolution is null")
    params: list[object] = list(GAP_STATUSES)
    if since:
        where += " and at >= ?"
        params.append(since)
    sort = ("g.last_at desc, g.last_id desc" if order == "newest"
            else "g.n desc, g.last_at desc, g.last_id desc")
    sql = f"""
        with grouped as (
            select normalized, count(*) as n, min(at) as first_at, max(at) as last_at,
                   max(id) as last_id, group_concat(distinct lang) as langs,
                   sum(status = 'fallback') as fallback, sum(status = 'rejected') as rejected
            from queries where {where} group by normalized
        )
        select g.normalized, g.n, g.first_at, g.last_at, g.langs, g.fallback, g.rejected, q.text
        from grouped g join queries q on q.id = g.last_id
        order by {sort}
    """
    if limit:
        sql += " limit ?"
        params.append(limit)
    return [
        Gap(text, normalized, n, first, last, tuple(sorted((langs or "").split(","))),
            int(fallback or 0), int(rejected or 0))
        for normalized, n, first, last, langs, fallback, rejected, text in db.execute(sql, params)
    ]
