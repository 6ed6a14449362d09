"""Shared fixtures: a small knowledge folder written per test, stores built from it, and the
fake Telegram Bot API server (tests/fakeapi).

Why the fake lives here and not in the package: it is test machinery and must not ship in
every production install; tests reach it through the fixtures below.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.config import Settings, bundled_path
from bot.store.db import open_db
from tests.fakeapi import FakeBotApi

CATEGORIES = """\
visitors: {en: Visiting Cambodia, km: ការមកលេងកម្ពុជា}
services: {en: Public services, km: សេវាសាធារណៈ}
help: {en: About this bot, km: អំពីបូតនេះ}
"""

ENTRY = """\
id: {id}
topic: {topic}
category: {category}
audience: [visitor]
official_url: https://www.evisa.gov.kh/
sources:
  - https://www.evisa.gov.kh/termcondition.aspx
reviewed: 2026-11-20
expires: null
related: {related}
en:
  title: {en_title}
  answer: |
    {en_answer}
  questions:
{en_questions}
km:
  title: {km_title}
  answer: |
    {km_answer}
  questions:
{km_questions}
"""

SAMPLE = [
    dict(id="evisa-apply", topic="evisa", category="visitors", related="[evisa-fees]",
         en_title="Apply for a Cambodia e-Visa",
         en_answer="Apply online at <a href=\"https://www.evisa.gov.kh/\">evisa.gov.kh</a>.",
         en_q=["How do I apply for a Cambodian e-visa?", "cambodia visa online",
               "apply evisa", "where to get a tourist visa for cambodia online",
               "steps for the e-visa application", "can I get my visa on the internet"],
         km_title="ការស្នើសុំ e-Visa", km_answer="សូមដាក់ពាក្យតាម evisa.gov.kh ។",
         km_q=["តើខ្ញុំស្នើសុំទិដ្ឋាការតាមអនឡាញដោយរបៀបណា?", "ធ្វើ e-Visa យ៉ាងម៉េច",
               "ស្នើសុំទិដ្ឋាការ", "ទិដ្ឋាការអេឡិចត្រូនិក", "ដាក់ពាក្យ evisa", "som visa online"]),
    dict(id="evisa-fees", topic="evisa", category="visitors", related="[evisa-apply]",
         en_title="How much the e-Visa costs",
         en_answer="As of 2025, third-party sites report <b>US$30</b>; check the official site.",
         en_q=["How much is the Cambodia e-visa?", "evisa fee", "visa price cambodia",
               "cost of tourist visa", "is the e-visa fee refundable", "e visa payment"],
         km_title="តម្លៃ e-Visa", km_answer="គិតត្រឹមឆ្នាំ 2025 ប្រហែល US$30 ។",
         km_q=["តើទិដ្ឋាការ e-Visa តម្លៃប៉ុន្មាន?", "វីសាប៉ុន្មានលុយ", "តម្លៃទិដ្ឋាការ",
               "ថ្លៃ evisa", "បង់ប្រាក់ទិដ្ឋាការ", "visa tlai ponman"]),
    dict(id="id-card-apply", topic="id-card", category="services", related="[]",
         en_title="Get a Khmer national ID card",
         en_answer="From age 15, apply at your commune identification service point.",
         en_q=["How do I get a national ID card?", "khmer id card", "apply for identity card",
               "id card age 15", "where to make an id card", "renew my identity card"],
         km_title="ការធ្វើអត្តសញ្ញាណប័ណ្ណ",
         km_answer="ចាប់ពីអាយុ 15 ឆ្នាំ សូមទៅការិយាល័យអត្តសញ្ញាណកម្មនៅឃុំ/សង្កាត់។",
         km_q=["តើធ្វើអត្តសញ្ញាណប័ណ្ណដោយរបៀបណា?", "អត្តសញ្ញាណប័ណ្ណសញ្ជាតិខ្មែរ",
               "ធ្វើអត្តសញ្ញាណប័ណ្ណនៅណា", "ប្តូរអត្តសញ្ញាណប័ណ្ណថ្មី", "អាយុ 15 ធ្វើអត្តសញ្ញាណប័ណ្ណ",
               "tver at-ta-sanh-nha-nak-ban"]),
]

SYNONYMS = """\
en:
  pasport: passport
  id: identity card
km:
  វីសា: ទិដ្ឋាការ
  កាតខ្មែរ: អត្តសញ្ញាណប័ណ្ណ
"""


def _questions(items: list[str]) -> str:
    return "\n".join(f"    - {q!r}" if ":" in q else f"    - {q}" for q in items)


def write_entry(root: Path, **fields: object) -> Path:
    """Write one entry file from the SAMPLE-style fields."""
    text = ENTRY.format(
        en_questions=_questions(fields.pop("en_q")),  # type: ignore[arg-type]
        km_questions=_questions(fields.pop("km_q")),  # type: ignore[arg-type]
        **fields,
    )
    path = root / str(fields["category"]) / f"{fields['id']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A small valid knowledge folder: three entries, synonyms, categories."""
    root = tmp_path / "knowledge"
    root.mkdir()
    (root / "categories.yaml").write_text(CATEGORIES, encoding="utf-8")
    (root / "synonyms.yaml").write_text(SYNONYMS, encoding="utf-8")
    for fields in SAMPLE:
        write_entry(root, **dict(fields))
    return root


@pytest.fixture
def settings(tmp_path: Path, knowledge: Path) -> Settings:
    """Settings pointing at a fresh database and the small knowledge folder."""
    return Settings(db_path=tmp_path / "govbot.db", knowledge_dir=knowledge)


@pytest.fixture
def assistant(settings: Settings) -> Assistant:
    """An assistant over the small knowledge base."""
    return Assistant.open(settings)


@pytest.fixture(scope="session")
def bundled_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An assistant over the real bundled knowledge base (built once per test session)."""
    db_path = tmp_path_factory.mktemp("bundled") / "govbot.db"
    return Assistant.open(Settings(db_path=db_path, knowledge_dir=bundled_path("knowledge")))


@pytest.fixture
def db(tmp_path: Path):
    """An empty, migrated store."""
    return open_db(tmp_path / "store.db")


FAKE_TOKEN = "123456:TEST-token_for_the_fake"


@pytest.fixture
def fake_bot_api() -> Callable[..., FakeBotApi]:
    """Make a fake Bot API server: ``async with fake_bot_api(token, **options) as api``.

    A factory rather than a started server, because tests pick the token and the options
    (faults, privacy mode, webhook timing) and some start it late, on a chosen port.
    """
    return FakeBotApi


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Bot API server with the default options and ``FAKE_TOKEN``."""
    async with FakeBotApi(FAKE_TOKEN, query_ttl=5.0) as server:
        yield server
    assert server.internal_errors == []  # a crash inside the fake is a bug in the fake


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a knowledge file, as an editor would (it must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def dedent(text: str) -> str:
    """textwrap.dedent, re-exported so tests write YAML inline readably."""
    return textwrap.dedent(text)
