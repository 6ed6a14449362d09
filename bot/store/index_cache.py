"""The built matching index, kept in a file beside the database so that a restart reuses it.

Why: reading every entry and indexing every variant is nearly all of a start-up (about 1.7 s
for the bundled 7,666 rows, 9 s at 100k), and every `govbot ask` and every restart of the bot
paid it again for knowledge that had not changed. The file holds whatever objects the snapshot
built (bot/assistant.py: the entries and the matcher's index), as they are: this module knows
nothing of how matching works, only when a stored index may be used.

A stored index is used only when everything it was built from is the same: the store (a random
identity kept in it, so that a store rebuilt from scratch, whose version counts from 1 again,
is not mistaken for the old one), the knowledge version, the day (expired entries leave the index at
midnight), and the code that builds it (the source of the snapshot, the engine and the model,
govbot's and numpy's versions, the Python version). A file that is unreadable, truncated or
fails its checksum is ignored and rebuilt, never trusted. Anyone who can write this file can
also write the database beside it; the file is only ever read from there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import secrets
import sqlite3
import sys
import tempfile
from dataclasses import astuple, dataclass
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy
import sqlite_utils

from bot.store.knowledge import knowledge_version

log = logging.getLogger(__name__)

FORMAT = 1  # bumped when the file layout below changes
_PACKAGE = Path(__file__).resolve().parents[1]
#: The code whose objects the index file holds: the snapshot's parts (assistant.py), the engine
#: (the matcher, and the recipe `govbot fit` wrote, which it keeps) and the model (entries).
_BUILT_FROM = ("assistant.py", "engine/*.py", "engine/fitted.json", "model.py")


@cache
def code_version() -> str:
    """A fingerprint of the code that builds the index: a change to any of it means rebuild."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in _BUILT_FROM for p in _PACKAGE.glob(pattern)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        govbot = metadata.version("govbot")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        govbot = "source"
    digest.update(f"{govbot} {numpy.__version__} {sys.version}".encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class IndexKey:
    """Everything a built index depends on."""

    store: str
    knowledge_version: int
    built_on: str
    code: str


STORE_ID = "store_id"


def ensure_store_id(db: sqlite_utils.Database) -> bool:
    """Give the store a random identity once, so that a store deleted and rebuilt (whose
    knowledge version counts from 1 again) is never taken for the one an index was built from.
    False when the store cannot be written (read-only): then no index is kept for it."""
    if db.execute("select 1 from meta where key = ?", [STORE_ID]).fetchone():
        return True
    try:
        with db.atomic():
            db.execute("insert or ignore into meta (key, value) values (?, ?)",
                       [STORE_ID, secrets.token_hex(16)])
    except sqlite3.Error as exc:
        log.warning("cannot keep the index for a store that cannot be written (%s)", exc)
        return False
    return True


def index_key(db: sqlite_utils.Database, today: date) -> IndexKey | None:
    """The key of the index the store holds today (read inside the snapshot's transaction);
    None for a store without an identity, whose index is never kept."""
    row = db.execute("select value from meta where key = ?", [STORE_ID]).fetchone()
    if row is None:
        return None
    return IndexKey(row[0], knowledge_version(db), today.isoformat(), code_version())


def index_path(db_path: Path) -> Path:
    """Where the index of the store at `db_path` is kept: beside it, e.g. govbot.db.index."""
    return db_path.with_name(db_path.name + ".index")


def load(path: Path, key: IndexKey) -> object | None:
    """The stored index for `key`, or None (absent, for another key, or damaged)."""
    try:
        with path.open("rb") as file:
            header = pickle.load(file)
            if not isinstance(header, tuple) or header[:2] != (FORMAT, astuple(key)):
                return None
            payload = file.read()
        if len(header) != 3 or hashlib.sha256(payload).hexdigest() != header[2]:
            raise ValueError("checksum mismatch")
        return pickle.loads(payload)
    except FileNotFoundError:
        return None
    except Exception as exc:  # any damage at all: rebuild rather than trust it
        log.warning("ignoring the damaged index file %s (%s); rebuilding it", path, exc)
        return None


def save(path: Path, key: IndexKey, index: object) -> None:
    """Store `index` for `key`, atomically; a failure to write only costs the next start-up."""
    try:
        payload = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)
        header = (FORMAT, astuple(key), hashlib.sha256(payload).hexdigest())
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(header, file, protocol=pickle.HIGHEST_PROTOCOL)
                file.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError) as exc:
        log.warning("could not keep the index in %s (%s); the next start rebuilds it", path, exc)
