"""Settings from the environment (and an optional `.env` file), per design.md §5.

One frozen object read at start-up, so that nothing deeper in the code reads the environment and
tests can build settings directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DB = "govbot.db"


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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read the variables of design.md §5; `.env` in the working directory fills gaps."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        editors = frozenset(
            int(part) for part in environ.get("GOVBOT_EDITORS", "").split(",")
            if part.strip().lstrip("-").isdigit()
        )
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
        )
