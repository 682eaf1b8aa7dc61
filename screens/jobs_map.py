"""The job list as a map (issue 16): the station in the middle, north up, rings at 5, 10 and 15
minutes' walk, each job a dot to tap. Drawn by the kiosk itself with canvas instructions (no
map tiles: stations may be offline). Where things go is kiosk.mapview's; this only draws."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import (
    Color,
    Ellipse,
    InstructionGroup,
    Line,
    Rectangle,
    RoundedRectangle,
    Triangle,
)
from kivy.metrics import dp
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.formatting import count_text, minutes_text
from kiosk.i18n import N_, joined, tr_n
from kiosk.mapview import MapPoint, Marker, layout, outer_ring_m, ring_labels, ring_radii
from kiosk.travel import WITHIN_MINUTES
from screens.base import VisitScreen
from screens.theme import COLORS as C


class MapDot(ButtonBehavior, Label):
    """One marker: a job (day-paid: an orange square marked 日结, else a green circle) or
    several close together (a white disc with their count). Edge markers point outwards."""

    job_ids = ListProperty([])
    daily = BooleanProperty(False)
    any_daily = BooleanProperty(False)
    edge = BooleanProperty(False)
    bearing = NumericProperty(0)

    def on_release(self) -> None:
        app = App.get_running_app()
        app.act(app.visit.map_pick(tuple(self.job_ids)))


class JobsMap(Widget):
    """The drawing. `rows`: the visit's map rows (with lat, lng, km); `centre`: the station."""

    rows = ListProperty([])
    centre = ObjectProperty((0.0, 0.0))
    dot = NumericProperty(dp(48))  # a dot's diameter: the theme's touch target
    font = NumericProperty(dp(18))
    lang = StringProperty("zh")
    markers: list[Marker]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.markers, self.dots = [], []
        self._bg = InstructionGroup()
        self.canvas.before.add(self._bg)
        self._redraw = Clock.create_trigger(lambda _dt: self.redraw(), -1)
        self.bind(pos=self._redraw, size=self._redraw, rows=self._redraw, centre=self._redraw, dot=self._redraw,
                  font=self._redraw, lang=self._redraw)

    def geometry(self) -> tuple[float, float, float]:
        """(edge_px, radius_px, arrow_px): where edge markers sit, the outer ring, the arrows."""
        arrow = self.dot * 0.28
        edge = min(self.width, self.height) / 2 - self.dot / 2 - arrow - dp(2)
        return edge, max(edge - self.dot * 0.75, self.dot * 1.5), arrow

    def redraw(self) -> None:
        edge_px, radius_px, arrow = self.geometry()
        lat0, lng0 = self.centre
        points = [MapPoint(r["job_id"], r["lat"], r["lng"], r["km"], r["daily"]) for r in self.rows]
        self.markers = layout(points, lat0, lng0, radius_px=radius_px, dot_px=self.dot, edge_px=edge_px,
                              station_px=self.dot * 0.9)
        cx, cy = self.center
        self._draw_rings(cx, cy, radius_px)
        for w in self.dots:
            self.remove_widget(w)
        self.dots = []
        for m in self.markers:
            dot = MapDot(job_ids=list(m.job_ids), daily=m.daily, any_daily=m.any_daily, edge=m.edge,
                         bearing=m.bearing, size_hint=(None, None), size=(self.dot, self.dot),
                         center=(cx + m.x, cy + m.y), font_size=self.font, bold=True, halign="center",
                         valign="middle")
            dot.text = str(m.count) if m.count > 1 else (self._daily_word() if m.daily else "")
            dot.color = C["text"] if m.count > 1 else C["on_primary"]
            dot.bind(state=lambda d, _s: self._paint(d, arrow))
            self._paint(dot, arrow)
            self.add_widget(dot)
            self.dots.append(dot)

    def _daily_word(self) -> str:
        return App.get_running_app().tr("Daily", self.lang)

    def _paint(self, dot: MapDot, arrow: float) -> None:
        """A dot's shape: colour, and a second cue that is not colour (square / count / none)."""
        dot.canvas.before.clear()
        down = dot.state == "down"
        fill = C["accent"] if dot.daily else C["primary"]
        if down:
            fill = tuple(c * 0.7 for c in fill[:3]) + (1,)
        edge_colour = fill if len(dot.job_ids) == 1 else C["primary"]
        x, y, s = dot.x, dot.y, dot.width
        with dot.canvas.before:
            if dot.edge:  # an arrow outwards: the job is farther than the outer ring
                b = math.radians(dot.bearing)
                ux, uy = math.sin(b), math.cos(b)
                px, py = -uy, ux
                tip = (dot.center_x + ux * (s / 2 + arrow), dot.center_y + uy * (s / 2 + arrow))
                base = (dot.center_x + ux * (s / 2 - 2), dot.center_y + uy * (s / 2 - 2))
                Color(*edge_colour)
                Triangle(points=[*tip, base[0] + px * arrow, base[1] + py * arrow,
                                 base[0] - px * arrow, base[1] - py * arrow])
            if len(dot.job_ids) > 1:
                Color(*(C["chip"] if down else C["surface"]))
                Ellipse(pos=(x, y), size=(s, s))
                Color(*C["primary"])  # as the legend shows it; the list under the map says which pay daily
                Line(circle=(dot.center_x, dot.center_y, s / 2 - dp(2)), width=dp(3))
            elif dot.daily:
                Color(*C["surface"])
                RoundedRectangle(pos=(x, y), size=(s, s), radius=[s * 0.18])
                Color(*fill)
                RoundedRectangle(pos=(x + dp(2), y + dp(2)), size=(s - dp(4), s - dp(4)), radius=[s * 0.16])
            else:
                Color(*C["surface"])
                Ellipse(pos=(x, y), size=(s, s))
                Color(*fill)
                Ellipse(pos=(x + dp(2), y + dp(2)), size=(s - dp(4), s - dp(4)))

    def _text(self, text: str, size: float, bold: bool = False) -> Any:
        label = CoreLabel(text=text, font_size=size, bold=bold)
        label.refresh()
        return label.texture

    def _draw_rings(self, cx: float, cy: float, radius_px: float) -> None:
        g = self._bg
        g.clear()
        g.add(Color(*C["surface"]))
        g.add(Ellipse(pos=(cx - radius_px, cy - radius_px), size=(2 * radius_px, 2 * radius_px)))
        rings = ring_radii(radius_px)
        for minutes, r in rings:
            g.add(Color(*C["chip_edge"]))
            g.add(Line(circle=(cx, cy, r), width=dp(2.5) if minutes == WITHIN_MINUTES else dp(1.5)))
        # the station: a dark ring with a dot, "You are here" under it
        s = self.dot * 0.5
        here = self._text(App.get_running_app().tr("You are here", self.lang), self.font, bold=True)
        here_y = -s / 2 - dp(4) - here.height  # from the station, as the labels' boxes are
        station = ((-s / 2, -s / 2, s, s),
                   (-here.width / 2 - dp(4), here_y - dp(1), here.width + dp(8), here.height + dp(2)))
        texs = [self._text(minutes_text(minutes, self.lang), self.font, bold=True) for minutes, _ in rings]
        # each ring's label where no dot is (kiosk.mapview.ring_labels), over the ring line
        boxes = [(r, t.width + dp(8), t.height + dp(2)) for (_, r), t in zip(rings, texs, strict=True)]
        # half a dot from any dot: a dot right beside a label read as one phrase ("5 min Daily")
        at = ring_labels(self.markers, boxes, self.dot, keep_out=station, margin=self.dot / 2)
        for (_, r), tex, bearing in zip(rings, texs, at, strict=True):
            ux, uy = math.sin(math.radians(bearing)), math.cos(math.radians(bearing))
            lx, ly = cx + ux * r - tex.width / 2, cy + uy * r - tex.height / 2
            g.add(Color(*C["bg"]))
            g.add(RoundedRectangle(pos=(lx - dp(4), ly - dp(1)), size=(tex.width + dp(8), tex.height + dp(2)),
                                   radius=[dp(6)]))
            g.add(Color(*C["text"]))
            g.add(Rectangle(texture=tex, pos=(lx, ly), size=tex.size))
        g.add(Color(*C["text"]))
        g.add(Ellipse(pos=(cx - s / 2, cy - s / 2), size=(s, s)))
        g.add(Color(*C["surface"]))
        g.add(Ellipse(pos=(cx - s / 4, cy - s / 4), size=(s / 2, s / 2)))
        g.add(Color(*C["bg"]))
        g.add(RoundedRectangle(pos=(cx + station[1][0], cy + station[1][1]), size=station[1][2:], radius=[dp(6)]))
        g.add(Color(*C["text"]))
        g.add(Rectangle(texture=here, pos=(cx - here.width / 2, cy + here_y), size=here.size))
        # north up: an arrow and N at the top left corner
        nx, ny, a = self.x + dp(8) + self.dot * 0.3, self.top - dp(8), self.dot * 0.3
        g.add(Color(*C["text"]))
        g.add(Triangle(points=[nx, ny, nx - a * 0.7, ny - a * 1.4, nx + a * 0.7, ny - a * 1.4]))
        tex = self._text(App.get_running_app().tr("N", self.lang), self.font, bold=True)
        g.add(Rectangle(texture=tex, pos=(nx - tex.width / 2, ny - a * 1.4 - dp(2) - tex.height), size=tex.size))


class JobsMapScreen(VisitScreen):
    group_rows = ListProperty([])  # the jobs of the count marker tapped, listed under the map
    inside = NumericProperty(0)  # jobs within the outer ring
    farther = NumericProperty(0)  # jobs beyond it (within the search radius)
    group_farther = BooleanProperty(False)  # the listed jobs are an edge marker's: farther away
    show_map = BooleanProperty(True)  # False while a count marker's jobs are listed instead
    group_title = StringProperty("")

    def refresh(self) -> None:
        v = self.visit
        st = v.settings.station
        m = self.ids.jobs_map
        m.centre = (st.lat, st.lng)
        m.rows = v.map_rows
        self.inside, self.farther = v.map_inside, v.map_farther
        by_id = {r["job_id"]: r for r in v.map_rows}
        self.group_rows = [by_id[j] for j in v.map_group if j in by_id]
        self.group_farther = bool(self.group_rows) and all(self._farther(r) for r in self.group_rows)
        self.show_map = not self.group_rows
        self.group_title = self._group_title(st.lat, st.lng)
        self._fill_group()

    def _group_title(self, lat0: float, lng0: float) -> str:
        n = len(self.group_rows)
        if not self.group_farther:
            return tr_n(N_("{n} job here:"), N_("{n} jobs here:"), n, self.visit.lang).format(n=n)
        from kiosk.mapview import direction_of

        points = [MapPoint(r["job_id"], r["lat"], r["lng"], r["km"], r["daily"]) for r in self.group_rows]
        return tr_n(N_("{n} job to the {direction}, farther than 15 min walk:"),
                    N_("{n} jobs to the {direction}, farther than 15 min walk:"), n, self.visit.lang).format(
            n=n, direction=self.t(direction_of(points, lat0, lng0)))

    def _fill_group(self) -> None:
        box = self.ids.group
        box.clear_widgets()
        from screens.widgets import KButton

        for r in self.group_rows:
            b = KButton(text=joined([r["title"], r["pay"], r["settlement"], r["walk"]], self.visit.lang,
                                    N_("{first}, {second}")))
            b.job_id = r["job_id"]
            b.bind(on_release=lambda btn: self.app.act(self.visit.choose_job(btn.job_id)))
            box.add_widget(b)
        self.ids.group_scroll.scroll_y = 1

    def scale_text(self) -> str:
        return self.t("Rings: {a}, {b} and {c} walk. The outer ring is about {m} m from here.").format(
            a=minutes_text(5, self.visit.lang), b=minutes_text(10, self.visit.lang),
            c=minutes_text(WITHIN_MINUTES, self.visit.lang), m=outer_ring_m())

    def count_heading(self, n: int, lang: str) -> str:
        """'12 jobs within 15 min walk' (1 job…), the heading above the map."""
        return count_text(n, replace(self.visit.job_filter, within_walk_minutes=WITHIN_MINUTES), lang)

    def spoken_text(self) -> str:
        v = self.visit
        parts = [count_text(v.map_inside, replace(v.job_filter, within_walk_minutes=WITHIN_MINUTES), v.lang)]
        if v.map_farther:
            parts.append(self.t("{n} more jobs are farther away, at the edge of the map.").format(n=v.map_farther))
        near = [r for r in v.map_rows if not self._farther(r)][:3]
        parts += [joined([r["title"], r["pay"], r["settlement"], r["walk"]], v.lang, N_("{first}, {second}"))
                  for r in near]
        return joined(parts, v.lang)

    @staticmethod
    def _farther(row: dict) -> bool:
        from kiosk.travel import walk_km

        return row["km"] > walk_km(WITHIN_MINUTES)
