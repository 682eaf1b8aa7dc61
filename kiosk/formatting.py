"""Display strings shared by screens and paper: distances, start dates (zh and en)."""

from __future__ import annotations

import datetime as dt


def distance_text(km: float, lang: str = "zh") -> str:
    if km < 1:
        metres = max(10, round(km * 1000, -1))
        return f"{metres:.0f} 米" if lang == "zh" else f"{metres:.0f} m"
    return f"{km:.1f} 公里" if lang == "zh" else f"{km:.1f} km"


def start_text(start: dt.date, today: dt.date, lang: str = "zh") -> str:
    days = (start - today).days
    if lang == "zh":
        if days <= 0:
            return "今天开工" if days == 0 else "已开工"
        if days == 1:
            return "明天开工"
        return f"{start.month}月{start.day}日开工"
    if days <= 0:
        return "Starts today" if days == 0 else "Started"
    if days == 1:
        return "Starts tomorrow"
    return f"Starts {start.day} {start.strftime('%b')}"


def date_range_text(start: dt.date, end: dt.date, lang: str = "zh") -> str:
    if lang == "zh":
        s = f"{start.month}月{start.day}日"
        return s if start == end else f"{s} 至 {end.month}月{end.day}日"
    s = f"{start.day} {start.strftime('%b')}"
    return s if start == end else f"{s} – {end.day} {end.strftime('%b')}"
