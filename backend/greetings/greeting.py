"""Greeting by local time of day, and 新年好 from lunar New Year's Eve to the Lantern Festival.

The operator's standard (上门服务规范, 电话礼仪): never open with 「喂」; greet according to the time
of day; from 除夕 to 元宵节 say 「新年好」.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from lunardate import LunarDate

SHANGHAI = ZoneInfo("Asia/Shanghai")

NEW_YEAR = {"zh": "新年好", "en": "Happy New Year"}

# (start of the period as local wall-clock time, greeting); each period runs to the next start.
# Midnight to 05:00 stays 晚上好: a call then is still "evening" to the listener.
TIME_OF_DAY = (
    (dt.time(0, 0), {"zh": "晚上好", "en": "Good evening"}),
    (dt.time(5, 0), {"zh": "早上好", "en": "Good morning"}),
    (dt.time(9, 0), {"zh": "上午好", "en": "Good morning"}),
    (dt.time(11, 30), {"zh": "中午好", "en": "Good day"}),
    (dt.time(13, 30), {"zh": "下午好", "en": "Good afternoon"}),
    (dt.time(18, 0), {"zh": "晚上好", "en": "Good evening"}),
)


@lru_cache(maxsize=256)
def new_year_window(solar_year: int) -> tuple[dt.date, dt.date]:
    """Return (除夕, 元宵) as Gregorian dates for the lunar year starting in ``solar_year``.

    除夕 is the day before 正月初一, so it is the 29th or the 30th of the 12th month depending on
    that month's length. Raises ValueError outside the years lunardate covers (1900–2099).
    """
    spring_festival = LunarDate(solar_year, 1, 1).to_solar_date()
    lantern_festival = LunarDate(solar_year, 1, 15).to_solar_date()
    return spring_festival - dt.timedelta(days=1), lantern_festival


def is_new_year_season(day: dt.date) -> bool:
    """Tell whether ``day`` (a local date) falls from 除夕 through 元宵 inclusive."""
    # 春节 always falls between 21 January and 20 February, so the season of a date can only be
    # that of the lunar year beginning in the same Gregorian year.
    try:
        eve, lantern = new_year_window(day.year)
    except ValueError:
        # Beyond the lunar tables there is no way to know; the time-of-day greeting is still right.
        return False
    return eve <= day <= lantern


def greeting_for(local_dt: dt.datetime) -> dict[str, str]:
    """Return the greeting to open a call at ``local_dt`` as ``{"zh": ..., "en": ...}``.

    An aware datetime is converted to Asia/Shanghai first; a naive one is taken as Shanghai
    wall-clock time.
    """
    if local_dt.tzinfo is not None:
        local_dt = local_dt.astimezone(SHANGHAI)
    if is_new_year_season(local_dt.date()):
        return dict(NEW_YEAR)
    clock = local_dt.time().replace(tzinfo=None)
    chosen = TIME_OF_DAY[0][1]
    for start, greeting in TIME_OF_DAY:
        if clock >= start:
            chosen = greeting
    return dict(chosen)
