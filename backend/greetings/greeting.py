"""Greeting by local time of day, and 新年好 from lunar New Year's Eve to the Lantern Festival.

The rules are data (``greetings.yaml``), read here and served to the technician app in the
agenda (``greeting_rules``), so the phone greets by its own clock at the moment of the call with
the same definition the server uses.
"""

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from lunardate import LunarDate
from marshmallow import Schema, ValidationError, fields, validate

RULES_FILE = Path(__file__).with_name("greetings.yaml")

_HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="HH:MM, 00:00 to 23:59.")
_ID = validate.Regexp(r"^[a-z][a-z0-9_]*$")
_WORDING = validate.Length(min=1, max=40)


class _Period(Schema):
    id = fields.String(required=True, validate=_ID)
    start = fields.String(required=True, data_key="from", validate=_HHMM)
    zh = fields.String(required=True, validate=_WORDING)
    en = fields.String(required=True, validate=_WORDING)


class _NewYear(Schema):
    id = fields.String(required=True, validate=_ID)
    zh = fields.String(required=True, validate=_WORDING)
    en = fields.String(required=True, validate=_WORDING)
    through_lunar_day = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=29))


class _Rules(Schema):
    version = fields.Integer(required=True, strict=True)
    timezone = fields.String(required=True)
    time_of_day = fields.List(fields.Nested(_Period), required=True, validate=validate.Length(min=1))
    new_year = fields.Nested(_NewYear, required=True)


def load_rules(path: Path = RULES_FILE) -> dict:
    """Read and validate a greeting rules file; raise ValueError naming what is wrong."""
    try:
        rules = _Rules().load(yaml.safe_load(path.read_text(encoding="utf-8")))
        ZoneInfo(rules["timezone"])
    except ValidationError as error:
        raise ValueError(f"{path}: {error.messages}") from None
    except (KeyError, ValueError) as error:
        raise ValueError(f"{path}: unknown timezone: {error}") from None
    starts = [period["start"] for period in rules["time_of_day"]]
    if starts[0] != "00:00" or starts != sorted(set(starts)):
        raise ValueError(f"{path}: time_of_day must start at 00:00 and rise strictly: {starts}")
    ids = [period["id"] for period in rules["time_of_day"]] + [rules["new_year"]["id"]]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: greeting ids must be unique: {ids}")
    return rules


@lru_cache(maxsize=1)
def rules() -> dict:
    """Return the validated greeting rules (read once per process)."""
    return load_rules()


def greeting_ids() -> tuple[str, ...]:
    """Return every greeting id the rules know (what a call record may name)."""
    current = rules()
    return (*(period["id"] for period in current["time_of_day"]), current["new_year"]["id"])


@lru_cache(maxsize=256)
def new_year_window(solar_year: int) -> tuple[dt.date, dt.date]:
    """Return (除夕, last day of 新年好) as Gregorian dates for the lunar year starting in ``solar_year``.

    除夕 is the day before 正月初一, so it is the 29th or the 30th of the 12th month depending on
    that month's length; the last day is 正月 ``through_lunar_day`` (元宵, the 15th, by default).
    Raises ValueError outside the years lunardate covers (1900–2099).
    """
    spring_festival = LunarDate(solar_year, 1, 1).to_solar_date()
    last_day = LunarDate(solar_year, 1, rules()["new_year"]["through_lunar_day"]).to_solar_date()
    return spring_festival - dt.timedelta(days=1), last_day


def is_new_year_season(day: dt.date) -> bool:
    """Tell whether ``day`` (a local date) falls in the 新年好 season, both ends included."""
    # 春节 always falls between 21 January and 20 February, so the season of a date can only be
    # that of the lunar year beginning in the same Gregorian year.
    try:
        eve, last_day = new_year_window(day.year)
    except ValueError:
        # Beyond the lunar tables there is no way to know; the time-of-day greeting is still right.
        return False
    return eve <= day <= last_day


def _localized(entry: dict) -> dict[str, str]:
    return {"id": entry["id"], "zh": entry["zh"], "en": entry["en"]}


def greeting_for(local_dt: dt.datetime) -> dict[str, str]:
    """Return the greeting to open a call at ``local_dt`` as ``{"id": ..., "zh": ..., "en": ...}``.

    An aware datetime is converted to the rules' timezone (Asia/Shanghai) first; a naive one is
    taken as wall-clock time there.
    """
    current = rules()
    if local_dt.tzinfo is not None:
        local_dt = local_dt.astimezone(ZoneInfo(current["timezone"]))
    if is_new_year_season(local_dt.date()):
        return _localized(current["new_year"])
    clock = local_dt.strftime("%H:%M")
    chosen = current["time_of_day"][0]
    for period in current["time_of_day"]:
        if clock >= period["start"]:
            chosen = period
    return _localized(chosen)


@lru_cache(maxsize=8)
def greeting_rules(day: dt.date) -> dict:
    """Return the rules as the app applies them offline, with the 新年好 seasons spelled out as dates.

    The app has no lunar calendar, so the server turns the season into Gregorian dates for the
    lunar years beginning in ``day``'s year and the next (an app kept offline over New Year still
    greets right).
    """
    current = rules()
    seasons = []
    for year in (day.year, day.year + 1):
        try:
            eve, last_day = new_year_window(year)
        except ValueError:
            continue
        seasons.append({"from": eve.isoformat(), "through": last_day.isoformat()})
    return {
        "version": current["version"],
        "timezone": current["timezone"],
        "time_of_day": [{**_localized(period), "from": period["start"]} for period in current["time_of_day"]],
        "new_year": {**_localized(current["new_year"]), "seasons": seasons},
    }
