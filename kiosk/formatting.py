"""Display strings shared by screens and paper: distances, dates, start dates — each from the
catalogue by msgid (kiosk.i18n), so a language's .po decides its own word order."""

from __future__ import annotations

import datetime as dt

from kiosk.i18n import N_, tr

MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
          N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"))


def _fields(day: dt.date, lang: str) -> dict[str, object]:
    """What a date msgid may use: {year} {month} {day} as numbers, {mon} the month's name."""
    return {"year": day.year, "month": day.month, "day": day.day, "mon": tr(MONTHS[day.month - 1], lang)}


def short_date(day: dt.date, lang: str = "zh") -> str:
    """'7 Mar' / '3月7日'."""
    return tr("{day} {mon}", lang).format(**_fields(day, lang))


def long_date(day: dt.date, lang: str = "zh") -> str:
    """'7 Mar 2026' / '2026年3月7日'."""
    return tr("{day} {mon} {year}", lang).format(**_fields(day, lang))


def distance_text(km: float, lang: str = "zh") -> str:
    if km < 1:
        return tr("{metres} m", lang).format(metres=f"{max(10, round(km * 1000, -1)):.0f}")
    return tr("{km} km", lang).format(km=f"{km:.1f}")


def start_text(start: dt.date, today: dt.date, lang: str = "zh") -> str:
    days = (start - today).days
    if days <= 0:
        return tr(N_("Starts today") if days == 0 else N_("Started"), lang)
    if days == 1:
        return tr("Starts tomorrow", lang)
    return tr("Starts {date}", lang).format(date=short_date(start, lang))


def date_range_text(start: dt.date, end: dt.date, lang: str = "zh") -> str:
    s = short_date(start, lang)
    return s if start == end else tr("{start} – {end}", lang).format(start=s, end=short_date(end, lang))


FOLLOWUP_WITH_PHONE = N_("Station staff or the employer will call you within {hours} hours, from {phone}.")
FOLLOWUP = N_("Station staff or the employer will call you within {hours} hours.")


def followup_sentence(hours: int, phone: str, lang: str) -> str:
    """Who calls back, from which number, by when (the county's followup_* config, issue 12):
    the done screen and the application receipt say the same."""
    if phone:
        return tr(FOLLOWUP_WITH_PHONE, lang).format(hours=hours, phone=phone)
    return tr(FOLLOWUP, lang).format(hours=hours)
