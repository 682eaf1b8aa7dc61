"""What the attract screen's first frame needs to know, apart from the services (screens.services,
built in the frame after it): a module of its own so the first frame does not import them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Opening:
    """What the attract screen's first frame shows, known before any settings are validated."""

    lang: str = "zh"
    elderly: bool = False
    station_name: str = ""
    station_name_en: str = ""  # shown in English (and any language but Chinese) when set
