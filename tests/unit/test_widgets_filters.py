"""FilterPanel: controls from the schema, `.where` in the records format, observers, and
linked views that ask the service again when a filter changes."""

from datetime import date

import ipywidgets
import pandas as pd

import widgets as w
from widgets.filter_controls import (
    CategoryFilter,
    DateRangeFilter,
    RangeFilter,
    TextFilter,
)

from .widgets_fakes import (  # noqa: F401
    AIR,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)


def test_the_panel_of_a_dataset_has_a_control_per_filterable_column(fake_source):
    panel = w.FilterPanel.of("air_quality")
    kinds = {name: type(item) for name, item in panel.filters.items()}
    assert kinds == {"commune_code": CategoryFilter, "measured_at": DateRangeFilter,
                     "pm10": RangeFilter}  # pseudonymised and geometry columns are left out
    assert panel.filters["commune_code"].control.options == ("69123", "69124", "69125")
    assert panel.filters["pm10"].bounds == (12.0, 61.5)
    assert panel.filters["measured_at"].bounds == (date(2026, 1, 5), date(2026, 2, 7))
    assert panel.where == []
    aggregated = fake_source.called("aggregate")
    assert {"by": ["commune_code"], "measures": ["count"], "where": [], "bucket": None,
            "order_by": ["-count"], "limit": 200} in aggregated
    assert ["min:measured_at", "max:measured_at", "min:pm10", "max:pm10"] in [
        c["measures"] for c in aggregated]


def test_where_follows_the_controls(fake_source):
    panel = w.FilterPanel.of("air_quality", columns=["commune_code", "measured_at", "pm10"])
    panel.filters["commune_code"].control.value = ("69123",)
    panel.filters["pm10"].control.value = (20.0, 61.5)  # only the low end moved
    panel.filters["measured_at"].start.value = date(2026, 2, 1)
    panel.filters["measured_at"].end.value = date(2026, 2, 28)
    assert panel.where == [("commune_code", "in", ["69123"]),
                           ("measured_at", "ge", "2026-02-01"),
                           ("measured_at", "lt", "2026-03-01"),  # the whole last day
                           ("pm10", "ge", 20.0)]


def test_columns_with_many_values_get_a_contains_filter():
    frame = pd.DataFrame({"name": [f"n{i}" for i in range(300)], "ok": [True, False] * 150})
    panel = w.FilterPanel(data=frame)
    assert isinstance(panel.filters["name"], TextFilter)
    panel.set("name", "n1")
    panel.set("ok", [True])
    assert panel.where == [("name", "contains", "n1"), ("ok", "in", ["true"])]


def test_observers_are_called_on_each_change_and_reset_notifies_once():
    panel = w.FilterPanel(data=AIR)
    seen = []
    panel.observe(lambda p: seen.append(list(p.where)))
    panel.set("commune_code", ["69124"])
    assert seen == [[("commune_code", "in", ["69124"])]]
    panel.reset()
    assert seen[-1] == [] and len(seen) == 2
    panel.unobserve(panel.callbacks[0])
    panel.set("commune_code", ["69123"])
    assert len(seen) == 2


def test_static_panel_says_which_filters_apply():
    panel = w.FilterPanel(data=AIR, locale="en")
    assert "No filter" in panel.static_html()
    panel.set("commune_code", ["69123", "69124"])
    panel.set("measured_at", (date(2026, 1, 1), None))
    html = panel.static_html()
    check_static(html)
    assert "Filters: commune_code among 69123, 69124; measured_at from 2026-01-01 to …" in html


def test_changing_a_filter_updates_linked_views(fake_source):
    """The brief's in-process check: a filter change re-queries and redraws each view."""
    panel = w.FilterPanel.of("air_quality", columns=["commune_code"], locale="en")
    bars = w.BarChart.of("air_quality", by="commune_code", measure="max:pm10", filters=panel,
                         locale="en")
    card = w.KPICard.of("air_quality", measure="max:pm10", filters=panel, locale="en")
    table = w.Table.of("air_quality", select=["commune_code", "pm10"], filters=panel)
    shown = [v.widget() for v in (bars, card, table)]  # as displayed in a dashboard
    before = [box.children[0] for box in shown]
    assert "(3 bars)" in bars.alt_text() and ">61.5<" in card.static_html()

    panel.filters["commune_code"].control.value = ("69124",)  # what a click does

    assert "(one bar)" in bars.alt_text() and "Highest" not in bars.alt_text()
    assert ">48<" in card.static_html()
    assert [box.children[0] for box in shown] != before  # every displayed widget redrawn
    last = {fn: args for fn, _, args in fake_source.calls}
    assert last["aggregate"]["where"] == [("commune_code", "in", ["69124"])]
    assert last["records"]["where"] == [("commune_code", "in", ["69124"])]
    assert "69123" not in table.static_html()


def test_link_refreshes_any_view():
    class Counter(w.View):
        refreshed = 0

        def static_html(self):
            return "<p>x</p>"

        def refresh(self):
            self.refreshed += 1

    panel, view = w.FilterPanel(data=AIR), Counter()
    w.link(panel, view)
    panel.set("commune_code", ["69123"])
    assert view.refreshed == 1


def test_interactive_panel_has_the_controls_and_a_reset_button():
    panel = w.FilterPanel(data=AIR)
    widget = panel.interactive()
    assert isinstance(widget.children[-1], ipywidgets.Button)
    panel.set("commune_code", ["69123"])
    widget.children[-1].click()
    assert panel.where == []


def test_a_category_shows_its_name_and_filters_by_its_value():
    panel = w.FilterPanel(data=pd.DataFrame({"status": ["in service", "planned"]}), locale="fr",
                          names={"status": {"in service": "en service"}})
    control = panel.filters["status"].control
    assert control.options == (("en service", "in service"), ("planned", "planned"))
    panel.set("status", ["in service"])
    assert panel.where == [("status", "in", ["in service"])]
    assert "en service" in panel.static_html() and "in service" not in panel.static_html()
