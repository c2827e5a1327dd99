"""The call-step greeting: time of day, and 新年好 from 除夕 through 元宵."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lunardate import LunarDate

from backend.greetings import greeting_for, greeting_rules, new_year_window
from backend.greetings.greeting import load_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("clock", "id", "zh", "en"),
    [
        ((0, 0), "night", "晚上好", "Good evening"),
        ((4, 59), "night", "晚上好", "Good evening"),
        ((5, 0), "early_morning", "早上好", "Good morning"),
        ((8, 59), "early_morning", "早上好", "Good morning"),
        ((9, 0), "morning", "上午好", "Good morning"),
        ((11, 29), "morning", "上午好", "Good morning"),
        ((11, 30), "noon", "中午好", "Good day"),
        ((13, 29), "noon", "中午好", "Good day"),
        ((13, 30), "afternoon", "下午好", "Good afternoon"),
        ((17, 59), "afternoon", "下午好", "Good afternoon"),
        ((18, 0), "evening", "晚上好", "Good evening"),
        ((23, 59), "evening", "晚上好", "Good evening"),
    ],
)
def test_greeting_follows_the_time_of_day(clock, id, zh, en):
    assert greeting_for(at(2026, 6, 15, *clock)) == {"id": id, "zh": zh, "en": en}


@pytest.mark.parametrize(
    ("eve", "lantern"),
    [
        (dt.date(2026, 2, 16), dt.date(2026, 3, 3)),  # 12th month of 乙巳 has 29 days
        (dt.date(2025, 1, 28), dt.date(2025, 2, 12)),  # 12th month of 甲辰 has 29 days
        (dt.date(2024, 2, 9), dt.date(2024, 2, 24)),  # 30-day 12th month
        (dt.date(2023, 1, 21), dt.date(2023, 2, 5)),
        (dt.date(2020, 1, 24), dt.date(2020, 2, 8)),
        (dt.date(2050, 1, 22), dt.date(2050, 2, 6)),
    ],
)
def test_new_year_window_of_known_years(eve, lantern):
    assert new_year_window(eve.year) == (eve, lantern)


@pytest.mark.parametrize("year", [2025, 2026, 2024])
def test_new_year_greeting_from_eve_through_lantern_festival(year):
    eve, lantern = new_year_window(year)
    day_before, day_after = eve - dt.timedelta(days=1), lantern + dt.timedelta(days=1)
    # Whole days count, from the first minute of 除夕 to the last of 元宵.
    assert greeting_for(at(day_before.year, day_before.month, day_before.day, 23, 59))["zh"] == "晚上好"
    assert greeting_for(at(eve.year, eve.month, eve.day, 0, 0)) == {
        "id": "new_year",
        "zh": "新年好",
        "en": "Happy New Year",
    }
    assert greeting_for(at(lantern.year, lantern.month, lantern.day, 23, 59))["zh"] == "新年好"
    assert greeting_for(at(day_after.year, day_after.month, day_after.day, 0, 0))["zh"] == "晚上好"


def test_every_year_2020_to_2050_matches_the_lunar_calendar():
    for year in range(2020, 2051):
        eve, lantern = new_year_window(year)
        lunar_eve = LunarDate.from_solar_date(eve.year, eve.month, eve.day)
        assert (lunar_eve.month, lunar_eve.is_leap_month) == (12, False)
        assert lunar_eve.day in (29, 30)  # the last day of the 12th month, whatever its length
        next_day = eve + dt.timedelta(days=1)
        assert LunarDate.from_solar_date(next_day.year, next_day.month, next_day.day) == LunarDate(year, 1, 1)
        assert (lantern - eve).days == 15
        season = [eve + dt.timedelta(days=n) for n in range(16)]
        assert all(greeting_for(at(d.year, d.month, d.day, 15))["zh"] == "新年好" for d in season)


def test_aware_times_are_read_in_shanghai():
    # 2026-02-15 17:30 UTC is 01:30 on 除夕 in Shanghai.
    assert greeting_for(dt.datetime(2026, 2, 15, 17, 30, tzinfo=dt.UTC))["zh"] == "新年好"
    # 01:00 UTC is 09:00 in Shanghai.
    assert greeting_for(dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC))["zh"] == "上午好"


def test_naive_times_are_taken_as_shanghai_wall_clock():
    assert greeting_for(dt.datetime(2026, 6, 15, 14, 0))["zh"] == "下午好"


def test_outside_the_lunar_tables_the_time_of_day_still_answers():
    assert greeting_for(at(2150, 2, 1, 10)) == {"id": "morning", "zh": "上午好", "en": "Good morning"}


def test_never_wei():
    minutes = [at(2026, 2, 16) + dt.timedelta(minutes=m) for m in range(0, 60 * 24 * 20, 7)]
    assert all("喂" not in greeting_for(t)["zh"] and greeting_for(t)["zh"] for t in minutes)


def test_the_rules_served_to_the_app_spell_out_the_new_year_seasons():
    rules = greeting_rules(dt.date(2026, 12, 3))
    assert rules["timezone"] == "Asia/Shanghai"
    # This winter's season is next year's: an app kept offline over New Year still greets right.
    assert rules["new_year"]["seasons"] == [
        {"from": "2026-02-16", "through": "2026-03-03"},
        {"from": "2027-02-05", "through": "2027-02-20"},
    ]
    assert [(p["id"], p["from"], p["zh"]) for p in rules["time_of_day"]][:3] == [
        ("night", "00:00", "晚上好"),
        ("early_morning", "05:00", "早上好"),
        ("morning", "09:00", "上午好"),
    ]


def test_the_rules_served_to_the_app_give_the_servers_greeting_at_every_minute():
    """The served rules, applied as the app applies them, agree with greeting_for minute by minute."""
    rules = greeting_rules(dt.date(2026, 1, 1))

    def as_the_app_does(moment):
        day, clock = moment.date().isoformat(), moment.strftime("%H:%M")
        if any(s["from"] <= day <= s["through"] for s in rules["new_year"]["seasons"]):
            return rules["new_year"]["id"]
        return [p for p in rules["time_of_day"] if p["from"] <= clock][-1]["id"]

    for day in (
        dt.date(2026, 6, 15),
        dt.date(2026, 2, 15),
        dt.date(2026, 2, 16),
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 4),
    ):
        for minute in range(0, 24 * 60, 1):
            moment = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=SHANGHAI)
            assert as_the_app_does(moment) == greeting_for(moment)["id"], moment


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("time_of_day", 0, "from", "01:00"), "start at 00:00"),
        (("time_of_day", 2, "from", "04:00"), "rise strictly"),
        (("time_of_day", 1, "from", "25:00"), "HH:MM"),
        (("time_of_day", 1, "id", "night"), "unique"),
        (("new_year", None, "through_lunar_day", 40), "through_lunar_day"),
        (("timezone", None, None, "Mars/Olympus"), "timezone"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_fault(tmp_path, change, message):
    import yaml

    from backend.greetings.greeting import RULES_FILE

    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    section, index, key, value = change
    if key is None:
        data[section] = value
    elif index is None:
        data[section][key] = value
    else:
        data[section][index][key] = value
    path = tmp_path / "greetings.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_rules(path)


def test_the_apps_test_fixture_is_what_the_server_serves():
    # pwa/test/greeting.test.js checks the app's greetingAt against this file: regenerate it with
    # json.dumps(greeting_rules(date(2026, 1, 1)), ensure_ascii=False, indent=1) when greetings.yaml changes.
    import json
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "pwa" / "test" / "fixtures" / "greeting_rules.json"
    assert json.loads(fixture.read_text(encoding="utf-8")) == greeting_rules(dt.date(2026, 1, 1))
