"""Translations and locale formatting: every user-facing string and date, in Khmer or English.

Strings are English msgids in the code, translated through the gettext catalogs in `locales/`
(compiled with Babel's `pybabel compile`). Dates come from Babel's CLDR data; for Khmer the digits
are shown in Khmer script, as Cambodian government notices write them (Babel itself only ever
emits ASCII digits).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from babel.dates import format_date, format_timedelta
from babel.support import NullTranslations, Translations

from bot.config import bundled_path

LANGUAGE_NAMES: dict[str, str] = {"km": "ភាសាខ្មែរ", "en": "English"}
DOMAIN = "messages"
_KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def _(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown, in the user's language."""
    return message


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog for `lang` (English msgids pass through when no catalog exists)."""
    return Translations.load(str(bundled_path("locales")), [lang], domain=DOMAIN)


def gettext(lang: str, message: str, **values: object) -> str:
    """`message` translated into `lang`, with `{name}` placeholders filled from `values`."""
    text = translations(lang).gettext(message)
    return text.format(**values) if values else text


def khmer_digits(text: str) -> str:
    """ASCII digits → Khmer digits."""
    return text.translate(_KHMER_DIGITS)


def format_day(day: date, lang: str) -> str:
    """A date as people read it: "25 November 2026" / "២៥ វិច្ឆិកា ២០២៦" (day first, as in
    Cambodia and in the answers themselves; Babel's plain English would say "November 25")."""
    text = format_date(day, "long", locale="en_GB" if lang == "en" else lang)
    return khmer_digits(text) if lang == "km" else text



def format_duration(length: timedelta, lang: str) -> str:
    """A rounded length of time: "2 hours" / "២ ម៉ោង" (at least one minute)."""
    length = max(length, timedelta(minutes=1))
    text = format_timedelta(length, locale=lang)
    return khmer_digits(text) if lang == "km" else text
