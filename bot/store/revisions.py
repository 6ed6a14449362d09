"""The audit trail: who changed which entry when and what changed, and undoing a change.

Every content change already records a revision with the entry's full before and after state
(see `bot.store.knowledge`). This module reads them back as short field-by-field differences an
editor can scan, and restores an earlier state. A rollback is itself a revision, so it can be
rolled back in turn, and the history never loses anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher

import sqlite_utils

from bot.engine.normalize import normalize
from bot.model import LANGS, Entry, entry_from_dict, entry_to_dict
from bot.store.knowledge import read_entries, save_entry

SNIPPET = 36  # characters of context shown either side of a text change


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions of an entry, described for an editor."""

    field: str
    summary: str


@dataclass(frozen=True)
class Revision:
    """One recorded change of one entry."""

    id: int
    entry_id: str
    at: str
    editor: str
    action: str
    version: int
    before: Entry | None
    after: Entry | None

    @property
    def changes(self) -> list[FieldChange]:
        """What differs between `before` and `after`, field by field."""
        return diff_entries(self.before, self.after)

    def as_dict(self) -> dict[str, object]:
        """JSON-able form (for `govbot kb history --json`)."""
        return {
            "id": self.id, "entry": self.entry_id, "at": self.at, "editor": self.editor,
            "action": self.action, "version": self.version,
            "changes": [{"field": c.field, "summary": c.summary} for c in self.changes],
        }


class RollbackError(Exception):
    """A rollback that cannot be done (the message says why, for an editor)."""


def _entry(raw: str | None) -> Entry | None:
    return entry_from_dict(json.loads(raw)) if raw else None


def _revision(row: tuple) -> Revision:
    rev_id, entry_id, at, editor, action, version, before, after = row
    return Revision(int(rev_id), entry_id, at, editor or "", action, int(version or 0),
                    _entry(before), _entry(after))


_COLUMNS = "id, entry_id, at, editor, action, version, before, after"


def history(
    db: sqlite_utils.Database, entry_id: str | None = None, limit: int | None = None
) -> list[Revision]:
    """Revisions, newest first: of one entry, or of all entries."""
    sql = f"select {_COLUMNS} from revisions"
    params: list[object] = []
    if entry_id is not None:
        sql += " where entry_id = ?"
        params.append(entry_id)
    sql += " order by id desc"
    if limit:
        sql += " limit ?"
        params.append(limit)
    return [_revision(row) for row in db.execute(sql, params)]


def get_revision(db: sqlite_utils.Database, revision_id: int) -> Revision | None:
    """One revision by its number, or None."""
    row = db.execute(f"select {_COLUMNS} from revisions where id = ?", [revision_id]).fetchone()
    return _revision(row) if row else None


def _show(text: str) -> str:
    return text.replace("\n", "⏎")


def _short(text: str, limit: int) -> str:
    return _show(text) if len(text) <= limit else _show(text[: limit - 1]) + "…"


def text_change(old: str, new: str, max_regions: int = 3) -> str:
    """Where two texts differ, briefly: `…context[old part → new part]context…` per change."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if regions and i1 - regions[-1][1] < SNIPPET:  # close together: show as one change
            regions[-1][1], regions[-1][3] = i2, j2
        else:
            regions.append([i1, i2, j1, j2])
    parts = []
    for i1, i2, j1, j2 in regions[:max_regions]:
        head = old[max(0, i1 - SNIPPET // 2):i1]
        tail = old[i2:i2 + SNIPPET // 2]
        lead = "…" if i1 > len(head) else ""
        trail = "…" if i2 + len(tail) < len(old) else ""
        parts.append(f"{lead}{_show(head)}[{_short(old[i1:i2], SNIPPET)} → "
                     f"{_short(new[j1:j2], SNIPPET)}]{_show(tail)}{trail}")
    more = len(regions) - max_regions
    return "  ".join(parts) + (f"  (+{more} more)" if more > 0 else "")


def _list_change(old: list, new: list) -> str:
    def label(item: object) -> str:
        if isinstance(item, dict) and "url" in item:  # a source
            return f'"{item["url"]}" ({item.get("standing")})'
        if isinstance(item, dict):
            return f'"{item.get("text")}" ({item.get("origin")})'
        return f'"{item}"'

    added = [label(i) for i in new if i not in old]
    removed = [label(i) for i in old if i not in new]
    parts = [f"+ {a}" for a in added] + [f"- {r}" for r in removed]
    return "; ".join(parts) if parts else "reordered"


def diff_entries(before: Entry | None, after: Entry | None) -> list[FieldChange]:
    """Field-by-field differences; a whole entry appearing or going is one line."""
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [FieldChange("entry", f'new: "{after.text("en").title}"')]
    if after is None:
        return [FieldChange("entry", f'removed: "{before.text("en").title}"')]
    old, new = entry_to_dict(before), entry_to_dict(after)
    changes: list[FieldChange] = []
    for key in [k for k in old if k not in LANGS] + [k for k in new if k not in old]:
        if key in LANGS or old.get(key) == new.get(key):
            continue
        a, b = old.get(key), new.get(key)
        if isinstance(a, list) and isinstance(b, list):
            changes.append(FieldChange(key, _list_change(a, b)))
        else:
            changes.append(FieldChange(key, f"{a} → {b}"))
    for lang in LANGS:
        a_text, b_text = old.get(lang), new.get(lang)
        if a_text == b_text:
            continue
        if not isinstance(a_text, dict) or not isinstance(b_text, dict):
            changes.append(FieldChange(lang, "added" if a_text is None else "removed"))
            continue
        for part in ("title", "answer"):
            if a_text[part] != b_text[part]:
                changes.append(FieldChange(f"{lang}.{part}",
                                           text_change(a_text[part], b_text[part])))
        if a_text["questions"] != b_text["questions"]:
            changes.append(FieldChange(f"{lang}.questions",
                                       _list_change(a_text["questions"], b_text["questions"])))
    return changes


def rollback(
    db: sqlite_utils.Database, entry_id: str, editor: str, to_revision: int | None = None
) -> Revision | None:
    """Restore `entry_id` as it was before revision `to_revision` (default: its latest one).

    The restored state is the revision's recorded `before`, texts and question origins exactly
    as they were; a rollback of a removal re-creates the entry and one of an addition removes it.
    The rollback is recorded as a revision (action "rollback"), which is returned; None means
    the entry already is in that state and nothing was written.
    """
    if to_revision is None:
        latest = history(db, entry_id, limit=1)
        if not latest:
            raise RollbackError(f'"{entry_id}" has no recorded changes to undo')
        target = latest[0]
    else:
        found = get_revision(db, to_revision)
        if found is None:
            raise RollbackError(f"there is no revision {to_revision}")
        if found.entry_id != entry_id:
            raise RollbackError(
                f'revision {to_revision} is a change of "{found.entry_id}", not of "{entry_id}"')
        target = found
    new_id = save_entry(db, entry_id, target.before, editor, "rollback")
    return get_revision(db, new_id) if new_id is not None else None


def conflicts(db: sqlite_utils.Database, entry_id: str) -> list[str]:
    """What an entry's restored state clashes with now: other entries' questions, gone ids.

    Import validation prevents these; a rollback restores an old state as it was, so the
    editor is told instead and can fix the files or roll back further.
    """
    entries = {e.id: e for e in read_entries(db)}
    entry = entries.get(entry_id)
    if entry is None:
        return [f'"{other.id}" still lists "{entry_id}" as related'
                for other in entries.values() if entry_id in other.related]
    owners = {
        normalize(q.text): other.id
        for other in entries.values() if other.id != entry_id
        for text in other.texts.values() for q in text.questions
    }
    problems = [f'"{rel}" (related) is not an entry any more'
                for rel in entry.related if rel not in entries]
    for lang, text in entry.texts.items():
        for q in text.questions:
            owner = owners.get(normalize(q.text))
            if owner:
                problems.append(f'{lang} question "{q.text}" is also a question of {owner}')
    return problems


def reviewers(db: sqlite_utils.Database) -> dict[str, str]:
    """Who last checked each entry: the editor of the latest revision that set its `reviewed`
    date (the `--editor` of `govbot kb import`), by entry id."""
    found: dict[str, str] = {}
    rows = db.execute("select entry_id, editor, before, after from revisions order by id")
    for entry_id, editor, before, after in rows:
        if after is None:
            found.pop(entry_id, None)
            continue
        old = json.loads(before).get("reviewed") if before else None
        new = json.loads(after).get("reviewed")
        if new is not None and new != old:
            found[entry_id] = editor or ""
    return found


def revisions_of_version(db: sqlite_utils.Database, version: int) -> list[Revision]:
    """The revisions one content change (one import, one edit) recorded, by entry id."""
    rows = db.execute(
        f"select {_COLUMNS} from revisions where version = ? order by entry_id, id", [version])
    return [_revision(row) for row in rows]
