"""One policy article, in the current language, as a recycled list of paragraphs.

One label for the whole body made one texture as tall as the article; a long one (20,000
characters: 27,984 px) is over the GPU's texture limit and the screen stayed empty (issue 11
item 16). The body is cut into paragraphs and chunks (kiosk.paragraphs), each a row of a
RecycleView that draws only the rows on screen. RecycleView rows need their heights in the
data (kivy #6582): each row is measured once, with a label of the same class, for the current
width and font size.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty
from kivy.uix.label import Label

from kiosk.i18n import joined
from kiosk.paragraphs import pieces
from screens.base import VisitScreen


class PolicyText(Label):
    """A row of the article: a title, a paragraph or a chunk of a long paragraph. Its text
    sits at the top; the space below it (the paragraph gap) is part of the row's height."""

    measuring = BooleanProperty(False)  # True: the texture as tall as the text needs


class PolicyScreen(VisitScreen):
    def on_kv_post(self, _base: object) -> None:
        app = App.get_running_app()
        self._measure = PolicyText(measuring=True)
        self._shown: tuple[Any, ...] = ()
        self._refresh = Clock.create_trigger(lambda _dt: self.refresh())
        app.bind(current_policy=self._refresh, lang=self._refresh)
        app.theme.bind(body=self._refresh, title=self._refresh)
        self.ids.rv.bind(width=self._refresh)
        self._refresh()

    def refresh(self) -> None:
        app = App.get_running_app()
        rv = self.ids.rv
        policy, width = app.current_policy, rv.width
        key = (policy, app.lang, app.theme.body, app.theme.title, width)
        if key == self._shown:
            return
        new_policy = not self._shown or self._shown[0] is not policy
        self._shown = key
        if policy is None or width <= 0:
            rv.data = []
            return
        zh = app.lang == "zh"
        title = policy.title if zh else (policy.title_en or policy.title)
        body = policy.body if zh else (policy.body_en or policy.body)
        gap = app.theme.pad
        rows = [self._row(title, app.theme.title, True, width, gap)]
        rows += [self._row(p.text, app.theme.body, False, width, gap if p.ends_paragraph else 0)
                 for p in pieces(body)]
        rv.data = rows
        if new_policy:
            rv.scroll_y = 1  # a new article opens at its top

    def _row(self, text: str, font_size: float, bold: bool, width: float, gap: float) -> dict[str, Any]:
        m = self._measure
        m.text, m.font_size, m.bold, m.width = text, font_size, bold, width
        m.texture_update()
        return {"text": text, "font_size": font_size, "bold": bold,
                "height": m.texture_size[1] + gap + dp(2)}

    def spoken_text(self) -> str:
        p = self.visit.policy
        if p is None:
            return ""
        if self.visit.lang == "zh":
            return joined([p.title, p.body], "zh")
        return joined([p.title_en or p.title, p.body_en or p.body], self.visit.lang)
