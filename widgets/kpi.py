"""KPICard (a value, its change, its target, a sparkline) and KPIBoard (cards side by side).

Direction-aware: with ``better="lower"`` (pollution, delays) a rise is bad and a target is a
ceiling. Every status has a word and a symbol as well as a colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dataview import DataView, visible_rows
from .i18n import format_compact, format_number, format_percent, is_missing, t
from .render import View
from .source import Query, bucket_column, measure_column
from .sparkline import sparkline
from .style import BORDER, MUTED, STATUS, block, css, esc, pill, tag

ARROWS = {"up": "▲", "down": "▼", "flat": "▶"}
HIDDEN = css(position="absolute", width="1px", height="1px", overflow="hidden",
             clip="rect(0 0 0 0)", white_space="nowrap")  # read aloud, not shown


@dataclass(frozen=True)
class Change:
    """A value against the previous period: direction, difference, ratio, good or bad."""

    direction: str  # up, down, flat
    delta: float
    ratio: float | None  # None when the previous value is 0
    status: str  # good, bad, neutral


def change(value, previous, better: str | None = "higher") -> Change | None:
    """The change from `previous` to `value`; None when either is missing.

    >>> change(45.0, 50.0, better="lower")
    Change(direction='down', delta=-5.0, ratio=-0.1, status='good')
    """
    if is_missing(value) or is_missing(previous):
        return None
    delta = float(value) - float(previous)
    ratio = delta / abs(float(previous)) if float(previous) else None
    direction = "flat" if abs(ratio if ratio is not None else delta) < 5e-4 else (
        "up" if delta > 0 else "down")
    if direction == "flat" or better not in ("higher", "lower"):
        return Change(direction, delta, ratio, "neutral")
    good = (direction == "up") == (better == "higher")
    return Change(direction, delta, ratio, "good" if good else "bad")


def target_status(value, target, better: str | None = "higher") -> str | None:
    """"good" when `value` meets `target` (at least it, or at most it for better="lower"),
    "bad" when it does not, None without a value or a target.

    >>> target_status(38, 40, better="lower"), target_status(38, 40)
    ('good', 'bad')
    """
    if is_missing(value) or is_missing(target):
        return None
    met = float(value) <= float(target) if better == "lower" else float(value) >= float(target)
    return "good" if met else "bad"


class KPICard(DataView):
    """One key figure: value and unit, change against the previous period, target, sparkline.

    Give the numbers (`value`, `previous`, `history`), or `data` and `column`: the last row is
    the value, the one before the previous value, the whole column the sparkline.
    `better`: "higher" (default), "lower" or None (a change is neither good nor bad).

    >>> card = KPICard(42.0, label="PM10 moyen", unit="µg/m³", previous=48.0, target=40,
    ...                better="lower", history=[51, 48, 42], locale="fr")
    >>> print(card.text())
    PM10 moyen\u00a0: 42 µg/m³, ▼ −12,5\u202f%, hors objectif
    """

    needs_data = False

    def __init__(self, value=None, *, label: str | None, unit: str | None = None, previous=None,
                 target=None, better: str | None = "higher", history=None, data=None,
                 column: str | None = None, decimals: int | None = None,
                 compared_to: str | None = None, **options):
        self.measure: str | None = None  # a dataset's card: the aggregate measure shown
        super().__init__(data, title=label, **options)
        self.value, self.previous, self.history = value, previous, history
        self.unit, self.target, self.better, self.decimals = unit, target, better, decimals
        self.column, self.compared_to = column, compared_to

    @property
    def title(self) -> str:
        """`label`, else (a dataset's card) the measure in words, with the column's title."""
        if self._title is None and self.measure:
            return self.measure_text(self.measure)
        return self._title or ""

    @title.setter
    def title(self, label: str | None) -> None:
        self._title = label

    @property
    def unit(self) -> str | None:
        """`unit`, else (a dataset's card) the unit of the measured column."""
        if self._unit is None and self.measure:
            return self.unit_of(self.measure)
        return self._unit

    @unit.setter
    def unit(self, unit: str | None) -> None:
        self._unit = unit

    @classmethod
    def of(cls, dataset: str, *, measure: str, bucket: str | None = None, where=(),
           filters=None, label: str | None = None, **options) -> KPICard:
        """A card of an aggregate `measure`; with `bucket` ("date:month"), the last period
        is the value, the one before it the previous value, all of them the sparkline.
        The last period may still be under way: end `where` at the last complete one to
        compare whole periods (``where=[("measured_at", "lt", "2026-12-01")]``).

        ``KPICard.of("air_quality", measure="mean:pm10", bucket="measured_at:month",
        label="PM10", unit="µg/m³", target=40, better="lower", filters=panel)``
        """
        params = {"measures": [measure], "bucket": bucket,
                  "order_by": [bucket_column(bucket)] if bucket else None}
        card = cls(query=Query(dataset, tuple(where), filters, params),
                   column=measure_column(measure), label=label, **options)
        card.measure = measure
        return card

    def numbers(self) -> tuple:
        """(value, previous, history) from the arguments or from the data."""
        if self.data is None:
            return self.value, self.previous, [] if self.history is None else list(self.history)
        if self.column not in self.data:
            raise ValueError(f"KPICard: the data has no column {self.column!r}")
        numbers = list(visible_rows(self.data)[0][self.column])
        value = numbers[-1] if numbers else None
        return value, numbers[-2] if len(numbers) > 1 else self.previous, numbers

    def _number(self, x) -> str:
        """`decimals` if given; else large figures compact ("69,4 M"), so that a card stays
        readable at a glance and fits its width on paper."""
        if self.decimals is None:
            return format_compact(x, self.locale)
        return format_number(x, self.decimals, self.locale)

    def change_html(self, value, previous) -> str:
        moved = change(value, previous, self.better)
        if moved is None:
            return ""
        amount = (format_percent(moved.ratio, signed=True, locale=self.locale)
                  if moved.ratio is not None else
                  ("+" if moved.delta > 0 else "") + self._number(moved.delta))
        words = t(f"change_{moved.direction}", self.locale)
        colour = STATUS[moved.status][0]
        compared = self.compared_to or t("vs_previous", self.locale,
                                         value=self._number(previous))
        return tag("div", tag("span", ARROWS[moved.direction], aria_hidden="true"), " ",
                   tag("span", esc(words), style=HIDDEN), esc(amount), " ",
                   tag("span", esc(compared), style=css(color=MUTED, font_weight="400",
                                                        white_space="nowrap")),
                   style=css(color=colour, font_weight="600", font_size="0.9rem"))

    def target_html(self, value) -> str:
        status = target_status(value, self.target, self.better)
        if status is None:
            return ""
        sign = "≤" if self.better == "lower" else "≥"
        unit = f"\u00a0{self.unit}" if self.unit else ""
        goal = f"{sign}\u00a0{self._number(self.target)}{unit}"  # kept on one line
        word = t("on_track" if status == "good" else "off_target", self.locale)
        return tag("div", pill(status, word), " ",
                   tag("span", esc(t("target", self.locale, goal=goal)),
                       style=css(color=MUTED, font_size="0.85rem", white_space="nowrap")),
                   style=css(margin="0.35rem 0"))

    def value_html(self, value) -> str:
        unit = tag("span", esc(self.unit), style=css(font_size="1rem", font_weight="500")
                   ) if self.unit and not is_missing(value) else ""
        return tag("div", esc(self._number(value)), "\u00a0" if unit else "", unit,
                   style=css(font_size="2rem", font_weight="700", line_height="1.2"))

    def static_html(self) -> str:
        value, previous, history = self.numbers()
        return block(tag("div", esc(self.title), style=css(color=MUTED, font_size="0.9rem")),
                     self.value_html(value), self.change_html(value, previous),
                     self.target_html(value),
                     sparkline(history, self.target, locale=self.locale),
                     role="group", aria_label=self.title, **CARD)

    def text(self) -> str:
        value, previous, _ = self.numbers()
        parts = [self._number(value) + (f" {self.unit}" if self.unit else "")]
        moved = change(value, previous, self.better)
        if moved and moved.ratio is not None:
            parts.append(f"{ARROWS[moved.direction]} "
                         f"{format_percent(moved.ratio, signed=True, locale=self.locale)}")
        status = target_status(value, self.target, self.better)
        if status:
            parts.append(t("on_track" if status == "good" else "off_target", self.locale))
        return t("label_value", self.locale, label=self.title, value=", ".join(parts))


CARD = {"border": f"1px solid {BORDER}", "border_radius": "8px", "padding": "0.8rem 1rem",
        "background": "white", "box_sizing": "border-box", "min_width": "12rem",
        "flex": "1 1 14rem", "max_width": "22rem"}


class KPIBoard(View):
    """Several KPI cards side by side, wrapping to new lines (on screen and on paper).

    >>> board = KPIBoard([KPICard(12, label="Incidents"), KPICard(0.93, label="Taux")],
    ...                  title="Ce mois-ci")
    >>> board.static_html().count('role="group"')
    3
    """

    def __init__(self, cards, title: str | None = None):
        self.cards, self.title = list(cards), title

    def heading(self) -> str:
        return tag("div", esc(self.title), role="heading", aria_level="2",
                   style=css(font_weight="600", font_size="1.15rem", margin="0 0 0.5rem")
                   ) if self.title else ""

    def static_html(self) -> str:
        row = tag("div", *(c.static_html() for c in self.cards),
                  style=css(display="flex", flex_wrap="wrap", gap="1rem"))
        return block(self.heading(), row, role="group", aria_label=self.title,
                     margin="0 0 1rem")

    def interactive(self):
        import ipywidgets

        boxes = [card.widget() for card in self.cards]
        for box in boxes:  # as CARD's sizes, which the Box around each card hides from the row
            box.layout.flex, box.layout.min_width, box.layout.max_width = (
                CARD["flex"], CARD["min_width"], CARD["max_width"])
        row = ipywidgets.HBox(boxes, layout=ipywidgets.Layout(flex_flow="row wrap",
                                                              grid_gap="1rem"))
        return ipywidgets.VBox([ipywidgets.HTML(block(self.heading()))] + [row]
                               if self.title else [row])

    def refresh(self) -> None:
        for card in self.cards:
            card.refresh()

    def text(self) -> str:
        return "; ".join(card.text() for card in self.cards)
