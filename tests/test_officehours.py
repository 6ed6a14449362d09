"""Office hours in Cambodia time: parsing, open or not, the next opening, said in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Settings
from bot.officehours import CAMBODIA, OfficeHours


def ict(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in May 2026, Cambodia time (4 May 2026 is a Monday)."""
    return datetime(2026, 5, day, hour, minute, tzinfo=CAMBODIA)


def test_the_default_is_the_working_week_in_cambodia_time():
    hours = OfficeHours.parse()
    assert hours.is_open(ict(4, 8)) and hours.is_open(ict(8, 16, 59))
    assert not hours.is_open(ict(4, 7, 59)) and not hours.is_open(ict(4, 17))
    assert not hours.is_open(ict(9, 10))  # Saturday
    # 02:00 UTC on a Monday is 09:00 in Phnom Penh
    assert hours.is_open(datetime(2026, 5, 4, 2, 0, tzinfo=UTC))


def test_lunch_breaks_saturdays_and_holidays():
    hours = OfficeHours.parse("Mon-Fri 08:00-11:30,14:00-17:00; Sat 08:00-11:30",
                              closed="2026-05-05")
    assert not hours.is_open(ict(4, 12))  # lunch
    assert hours.is_open(ict(9, 9)) and not hours.is_open(ict(9, 14))  # Saturday morning only
    assert not hours.is_open(ict(5, 9))  # a day off
    assert hours.next_opening(ict(4, 12)) == ict(4, 14)
    assert hours.next_opening(ict(4, 18)) == ict(6, 8)  # skips the day off
    assert hours.next_opening(ict(9, 12)) == ict(11, 8)  # Saturday noon → Monday


def test_next_opening_said_in_words():
    hours = OfficeHours.parse()
    friday_evening = ict(8, 19)
    monday = hours.next_opening(friday_evening)
    assert hours.when_words(monday, "en", friday_evening) == "Monday at 08:00"
    assert hours.when_words(monday, "km", friday_evening) == "ថ្ងៃច័ន្ទ ម៉ោង ០៨:០០"
    early = ict(5, 6)
    assert hours.when_words(hours.next_opening(early), "en", early) == "today at 08:00"
    evening = ict(5, 18)
    assert hours.when_words(hours.next_opening(evening), "km", evening) == "ថ្ងៃស្អែក ម៉ោង ០៨:០០"


def test_hours_described_in_both_languages():
    hours = OfficeHours.parse("Mon-Fri 08:00-11:30,14:00-17:00; Sat 08:00-11:30")
    assert hours.describe("en") == (
        "Monday to Friday 08:00–11:30, 14:00–17:00; every Saturday 08:00–11:30")
    assert hours.describe("km") == (
        "ពីថ្ងៃច័ន្ទ ដល់ថ្ងៃសុក្រ ម៉ោង ០៨:០០–១១:៣០, ម៉ោង ១៤:០០–១៧:០០; "
        "រៀងរាល់ថ្ងៃសៅរ៍ ម៉ោង ០៨:០០–១១:៣០")


def test_always_open():
    hours = OfficeHours.parse("always")
    assert hours.is_open(ict(9, 3)) and hours.next_opening(ict(9, 3)) is None


@pytest.mark.parametrize("spec", ["Mon-Fri", "Mon-Fri 8-17", "Funday 08:00-17:00",
                                  "Mon 17:00-08:00", "Mon 25:00-26:00"])
def test_malformed_hours_are_refused_with_a_reason(spec):
    with pytest.raises(ValueError, match="office hours"):
        OfficeHours.parse(spec)


def test_settings_read_the_staff_chat_and_hours():
    settings = Settings.from_env({"GOVBOT_STAFF_CHAT": "-1001234567890",
                                  "GOVBOT_OFFICE_HOURS": "Mon-Sat 07:30-17:30",
                                  "GOVBOT_STAFF_LANG": "en"})
    assert settings.staff_chat == -1001234567890 and settings.staff_lang == "en"
    assert settings.office_hours == "Mon-Sat 07:30-17:30"
    assert Settings.from_env({}).staff_chat is None
    with pytest.raises(ValueError, match="GOVBOT_STAFF_CHAT"):
        Settings.from_env({"GOVBOT_STAFF_CHAT": "@support"})
