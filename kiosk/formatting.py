"""Display strings shared by screens and paper: distances, dates, start dates — each from the
catalogue by msgid (kiosk.i18n), so a language's .po decides its own word order."""

from __future__ import annotations

import datetime as dt

from kiosk.i18n import N_, tr, tr_n

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


def minutes_text(minutes: int, lang: str = "zh") -> str:
    """'8 min' / '8 分钟'; an hour or more to the nearest 10 minutes: '1 h 40 min' / '1 小时 40 分钟'
    (an estimate of hours is not precise to the minute)."""
    if minutes < 60:
        return tr("{n} min", lang).format(n=minutes)
    h, m = divmod(int(round(minutes / 10) * 10), 60)
    return tr("{h} h", lang).format(h=h) if m == 0 else tr("{h} h {m} min", lang).format(h=h, m=m)


def walk_text(km: float, lang: str = "zh") -> str:
    """'about 8 min walk' / '步行约 8 分钟' from the station (kiosk.travel's model)."""
    from kiosk.travel import walk_minutes

    return tr("about {time} walk", lang).format(time=minutes_text(walk_minutes(km), lang))


def travel_text(km: float, lang: str = "zh") -> str:
    """Walking, cycling and bus times, one a line, for a job whose directions say how to get there."""
    from kiosk.travel import bus_minutes, cycle_minutes

    parts = [walk_text(km, lang),
             tr("about {time} by bicycle", lang).format(time=minutes_text(cycle_minutes(km), lang)),
             tr("about {time} by bus", lang).format(time=minutes_text(bus_minutes(km), lang))]
    return "\n".join(parts)


def count_text(n: int, flt: object, lang: str = "zh") -> str:
    """The job list's heading: '12 jobs within 10 km', or within the walking minutes of the chip."""
    minutes = getattr(flt, "within_walk_minutes", None)
    if minutes is not None:
        return tr_n(N_("{n} job within {minutes} min walk"), N_("{n} jobs within {minutes} min walk"),
                    n, lang).format(n=n, minutes=minutes)
    return tr_n(N_("{n} job within {km:g} km"), N_("{n} jobs within {km:g} km"),
                n, lang).format(n=n, km=getattr(flt, "radius_km", 0))


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
