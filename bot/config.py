"""Settings from the environment (and an optional `.env` file); docs/reference.md lists them.

One frozen object read at start-up, so that nothing deeper in the code reads the environment and
tests can build settings directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DB = "govbot.db"
DEFAULT_OFFICE_HOURS = "Mon-Fri 08:00-17:00"
DEFAULT_CONSOLE_HOST = "127.0.0.1"
# The labelled questions the console's "try a question" replays against a draft; missing files
# are skipped (an installed bot has no tests/ folder).
DEFAULT_CONSOLE_QUESTIONS = "tests/data/head_questions.jsonl,tests/data/dev_questions.jsonl"


def bundled_path(name: str) -> Path:
    """`knowledge` or `locales`: in the wheel (bot/_data), or beside the package in a checkout."""
    packaged = PACKAGE_DIR / "_data" / name
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment. The token is never part of `repr`."""

    token: str = field(default="", repr=False)
    api_url: str = "https://api.telegram.org"
    db_path: Path = Path(DEFAULT_DB)
    knowledge_dir: Path = field(default_factory=lambda: bundled_path("knowledge"))
    editors: frozenset[int] = frozenset()
    secret: str = field(default="", repr=False)
    retention_days: int = 90
    webhook_url: str = ""
    port: int = 8080
    staff_chat: int | None = None  # the support team's group chat (handover); None: no handover
    staff_lang: str = "km"  # the language of the bot's messages in the staff chat
    office_hours: str = DEFAULT_OFFICE_HOURS  # Cambodia time; see bot/officehours.py
    office_closed: str = ""  # days off, YYYY-MM-DD, comma-separated
    ignored_editors: tuple[str, ...] = ()  # GOVBOT_EDITORS entries that are not user ids
    console_host: str = DEFAULT_CONSOLE_HOST  # the editors' console (polling, `govbot console`)
    console_port: int = 8080
    console_url: str = ""  # the address editors open; "" = http://<console_host>:<console_port>
    console_questions: tuple[Path, ...] = tuple(
        Path(p) for p in DEFAULT_CONSOLE_QUESTIONS.split(","))

    @property
    def console_base(self) -> str:
        """Where sign-in links point: GOVBOT_CONSOLE_URL, else the webhook's own server (the
        console shares it), else the console's local address."""
        if self.console_url:
            return self.console_url.rstrip("/")
        if self.webhook_url:
            parts = urlparse(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"http://{self.console_host}:{self.console_port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the variables (docs/reference.md); `.env` in the working directory fills gaps."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        listed = [part.strip() for part in environ.get("GOVBOT_EDITORS", "").split(",")]
        editors = frozenset(int(part) for part in listed if part.isdigit())
        staff_chat = environ.get("GOVBOT_STAFF_CHAT", "").strip()
        if staff_chat and not staff_chat.lstrip("-").isdigit():
            raise ValueError(f"GOVBOT_STAFF_CHAT must be a chat id such as -1001234567890, "
                             f"not {staff_chat!r}")
        return cls(
            token=environ.get("TELEGRAM_BOT_TOKEN", ""),
            api_url=environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
            db_path=Path(environ.get("GOVBOT_DB", DEFAULT_DB)),
            knowledge_dir=Path(environ["GOVBOT_KNOWLEDGE"])
            if environ.get("GOVBOT_KNOWLEDGE") else bundled_path("knowledge"),
            editors=editors,
            secret=environ.get("GOVBOT_SECRET", ""),
            retention_days=int(environ.get("GOVBOT_RETENTION_DAYS", "90") or 90),
            webhook_url=environ.get("WEBHOOK_URL", ""),
            port=int(environ.get("PORT", "8080") or 8080),
            staff_chat=int(staff_chat) if staff_chat else None,
            staff_lang="en" if environ.get("GOVBOT_STAFF_LANG", "").strip() == "en" else "km",
            office_hours=environ.get("GOVBOT_OFFICE_HOURS", "").strip() or DEFAULT_OFFICE_HOURS,
            office_closed=environ.get("GOVBOT_OFFICE_CLOSED", "").strip(),
            ignored_editors=tuple(part for part in listed if part and not part.isdigit()),
            console_host=environ.get("GOVBOT_CONSOLE_HOST", "").strip() or DEFAULT_CONSOLE_HOST,
            console_port=int(environ.get("GOVBOT_CONSOLE_PORT", "8080") or 8080),
            console_url=environ.get("GOVBOT_CONSOLE_URL", "").strip(),
            console_questions=tuple(
                Path(p.strip()) for p in environ.get(
                    "GOVBOT_CONSOLE_QUESTIONS", DEFAULT_CONSOLE_QUESTIONS).split(",")
                if p.strip()),
        )

    def warnings(self) -> list[str]:
        """What an operator must hear at start: settings that quietly weaken the bot."""
        found = []
        if not self.secret:
            found.append(
                "GOVBOT_SECRET is not set: the key of the user pseudonyms is kept in the database "
                "file itself, so anyone with a copy of it can test a known Telegram id against "
                "them. Set GOVBOT_SECRET (for example to the output of `openssl rand -hex 32`).")
        if self.ignored_editors:
            found.append(
                "GOVBOT_EDITORS: ignored " + ", ".join(repr(e) for e in self.ignored_editors)
                + ": an editor is a Telegram user id (digits, such as 123456789), not a "
                "username or a group id; these entries get no editor commands.")
        return found
