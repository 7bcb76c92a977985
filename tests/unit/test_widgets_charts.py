"""Charts: drawn offline (no socket, no CDN), in the reader's language, with a text
alternative, in the colour-blind-safe palette; built from a DataFrame or a dataset."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import widgets as w
from widgets import vega
from widgets.i18n import MINUS, NARROW_NBSP
from widgets.style import PALETTE

from .widgets_fakes import (  # noqa: F401
    AIR,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)

ROOT = Path(__file__).resolve().parents[2]
SPEND = pd.DataFrame({"commune": ["Lyon", "Bron", "Caluire"],
                      "sum_amount": [1234.5, -310.0, 98.25]})


def pm10(locale="fr", **options):
    return w.TimeSeries(AIR, time="measured_at", value="pm10", series="commune_code",
                        unit="µg/m³", thresholds={"Limite UE": 50}, title="PM10", locale=locale,
                        **options)


def test_svg_is_drawn_with_the_network_blocked(no_network):
    svg = pm10().svg()
    assert svg.startswith("<svg") and "Limite UE" in svg
    import socket

    with pytest.raises(OSError, match="network blocked"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # the guard is really on


def test_vl_convert_may_not_load_external_data():
    spec = {"data": {"url": "https://example.org/data.csv"}, "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    with pytest.raises(ValueError, match="not allowed"):
        vega.svg(spec, "fr")


def test_french_numbers_and_months_on_the_axes():
    svg = w.BarChart(SPEND, category="commune", value="sum_amount", locale="fr").svg()
    assert f"1{NARROW_NBSP}234,5" in svg and f"{MINUS}310" in svg  # bar labels
    assert "janv." in pm10("fr").svg() and "Jan" in pm10("en").svg()
    english = w.BarChart(SPEND, category="commune", value="sum_amount", locale="en").svg()
    assert "1,234.5" in english


def test_the_palette_is_okabe_ito_everywhere():
    svg = pm10().svg()
    assert PALETTE[0] in svg and PALETTE[1] in svg  # two series: blue and orange
    spec = pm10().spec()
    assert spec["config"]["range"]["category"] == list(PALETTE)


def test_time_series_text_alternative_says_what_range_peak_and_thresholds():
    text = pm10("en").alt_text()
    assert text.startswith("Line chart of pm10 (µg/m³) from 2026-01-05 to 2026-02-07.")
    assert "3 series: 69123, 69124, 69125" in text
    assert "highest value: 61.5 µg/m³ on 2026-02-05 (69123)" in text.lower()
    assert "Values above the threshold “Limite UE” (50 µg/m³): 1." in text


def test_several_value_columns_are_several_series():
    frame = pd.DataFrame({"day": pd.date_range("2026-01-01", periods=3),
                          "pm10": [1.0, 2.0, 3.0], "no2": [3.0, 2.0, 1.0]})
    chart = w.TimeSeries(frame, time="day", value=["pm10", "no2"], locale="en")
    assert set(chart.long()["series"]) == {"pm10", "no2"}
    assert "2 series: pm10, no2" in chart.alt_text()


def test_bar_chart_text_alternative_and_order():
    bars = w.BarChart(SPEND, category="commune", value="sum_amount", unit="€", locale="en")
    assert bars.alt_text() == ("Bar chart of sum_amount (€) by commune (3 bars). "
                               f"Highest: Lyon (1,234.5 €); lowest: Bron ({MINUS}310 €).")
    assert bars.order() == ["Lyon", "Caluire", "Bron"]
    assert w.BarChart(SPEND, category="commune", value="sum_amount", sort="category"
                      ).order() == ["Bron", "Caluire", "Lyon"]


def test_stacked_bars_say_so_and_total_each_bar():
    frame = pd.DataFrame({"commune": ["Lyon", "Lyon", "Bron"], "kind": ["a", "b", "a"],
                          "count": [3, 4, 5]})
    bars = w.BarChart(frame, category="commune", value="count", stack="kind", locale="en")
    assert "stacked by kind" in bars.alt_text() and "Highest: Lyon (7)" in bars.alt_text()
    assert bars.spec()["encoding"]["color"]["field"] == "kind"


def test_static_html_is_an_inline_svg_image_with_the_alt_text_and_a_text_title():
    chart = pm10()
    html = chart.static_html()
    check_static(html)
    assert html.count("<img") == 1 and "data:image/svg+xml;base64," in html
    assert "<figcaption" in html and ">PM10</figcaption>" in html
    assert 'alt="Courbe de pm10' in html


def test_suppressed_groups_are_left_out_and_said_so():
    frame = SPEND.assign(suppressed=[False, False, True])
    frame.loc[2, "sum_amount"] = None
    bars = w.BarChart(frame, category="commune", value="sum_amount", locale="en")
    assert list(bars.shown["commune"]) == ["Lyon", "Bron"]
    assert "1 group hidden: too few rows" in bars.static_html()


def test_the_interactive_chart_is_an_offline_jupyter_chart():
    from altair import JupyterChart

    widget = pm10().interactive()
    chart = next(c for c in widget.children if isinstance(c, JupyterChart))
    assert not re.search(r"""(import\s*\(?|from)\s*["']https?:""", chart._esm)
    assert "esm.sh" not in chart._esm
    options = chart.embed_options
    assert options["actions"] is False and options["formatLocale"]["decimal"] == ","
    assert options["timeFormatLocale"]["shortMonths"][0] == "janv."
    assert chart.spec["description"] == pm10().alt_text()  # the chart's aria-label


def test_the_bundle_is_cached_only_where_nobody_else_can_write(tmp_path, monkeypatch):
    from altair import JupyterChart

    monkeypatch.setenv("AGORA_CACHE_DIR", str(tmp_path / "cache"))
    path = vega._cache_file()
    path.parent.mkdir(mode=0o700)
    path.write_text("// planted")
    path.chmod(0o666)
    monkeypatch.setattr(JupyterChart, "_is_offline", False)
    monkeypatch.setattr(JupyterChart, "_esm", JupyterChart._esm)
    assert not vega._own(path)
    path.chmod(0o600)
    assert vega._own(path)
    vega.enable_offline()
    assert JupyterChart._esm == "// planted"  # a bundle this user wrote is used as it is


def test_time_series_of_a_dataset_asks_the_service(fake_source):
    chart = w.TimeSeries.of("air_quality", bucket="measured_at:month", measure="mean:pm10",
                            where=[("pm10", "gt", 0)], locale="en")
    assert chart.time == "measured_at_month" and chart.value == ["mean_pm10"]
    assert "mean pm10" in chart.alt_text()
    (call,) = fake_source.called("aggregate")
    assert call["measures"] == ["mean:pm10"] and call["bucket"] == "measured_at:month"
    assert call["where"] == [("pm10", "gt", 0)]


def test_bar_chart_of_a_dataset_asks_for_the_top_groups(fake_source):
    bars = w.BarChart.of("air_quality", by="commune_code", measure="sum:pm10", limit=2,
                         locale="en")
    assert len(bars.shown) == 2 and bars.axis() == "total pm10"
    (call,) = fake_source.called("aggregate")
    assert call["by"] == ["commune_code"] and call["order_by"] == ["-sum_pm10"]
    assert call["limit"] == 2


@pytest.mark.skipif(subprocess.run(["unshare", "-n", "true"], capture_output=True,
                                   check=False).returncode,
                    reason="needs a network namespace (unshare -n)")
def test_static_and_interactive_charts_in_a_process_without_any_network(tmp_path):
    """Stronger than a socket guard: vl-convert's own (Rust) code runs with no network."""
    script = textwrap.dedent("""
        import pandas as pd, widgets as w
        frame = pd.DataFrame({"d": pd.date_range("2026-01-01", periods=3), "v": [1, 2, 3]})
        chart = w.TimeSeries(frame, time="d", value="v")
        assert chart.svg().startswith("<svg")
        assert "esm.sh" not in chart.interactive().children[-1]._esm
        print("offline ok")
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGORA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", script], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "offline ok" in done.stdout, done.stderr[-2000:]


@pytest.mark.parametrize(("periods", "freq", "label"), [
    (30, "h", "12:00"), (10, "D", "3 janv."), (60, "D", "févr."), (20, "MS", "2027"),
    (12, "YS", "2030")])
def test_time_axes_from_hours_to_years(periods, freq, label):
    frame = pd.DataFrame({"t": pd.date_range("2026-01-01", periods=periods, freq=freq),
                          "v": range(periods)})
    svg = w.TimeSeries(frame, time="t", value="v", locale="fr").svg()
    assert label in svg


def test_date_categories_are_written_as_dates_and_sorted_in_time():
    frame = pd.DataFrame({"month": pd.to_datetime(["2026-03-01", "2026-01-01", "2026-02-01"]),
                          "count": [3, 1, 2]})
    bars = w.BarChart(frame, category="month", value="count", sort="category", locale="fr")
    assert bars.order() == ["01/01/2026", "01/02/2026", "01/03/2026"]
    assert "La plus haute\u00a0: 01/03/2026 (3)" in bars.alt_text()


def test_a_frame_with_a_repeated_index_and_one_series_in_the_palette_blue():
    one = pd.DataFrame({"d": pd.date_range("2026-01-01", periods=4), "v": [1, 3, 2, 4]})
    both = pd.concat([one.assign(s="a"), one.assign(s="b", v=one["v"] + 1)])  # index 0-3 twice
    assert "Highest value: 5 on 2026-01-04 (b)." in w.TimeSeries(
        both, time="d", value="v", series="s", locale="en").alt_text()
    assert PALETTE[0] in w.TimeSeries(one, time="d", value="v").svg()


def test_bars_per_period_are_in_time_order_and_named_as_periods(fake_source):
    bars = w.BarChart.of("air_quality", bucket="measured_at:month", measure="max:pm10",
                         locale="fr")
    assert list(bars.bars()["measured_at_month"]) == ["janv. 2026", "févr. 2026"]
    call = fake_source.called("aggregate")[-1]
    assert call["bucket"] == "measured_at:month" and not call["by"]
    assert bars.category_name() == "measured_at (mois)"
    assert bars.order() == ["janv. 2026", "févr. 2026"]
    with pytest.raises(TypeError, match="by= .* or bucket="):
        w.BarChart.of("air_quality", by="commune_code", bucket="measured_at:month")


def test_whole_numbers_get_no_fractional_ticks():
    counts = w.BarChart(pd.DataFrame({"op": ["a", "b"], "n": [9, 1]}), category="op", value="n")
    layers = counts.spec().get("layer", [counts.spec()])
    assert layers[0]["encoding"]["y"]["axis"]["tickMinStep"] == 1
    spend = w.BarChart(SPEND, category="commune", value="sum_amount")
    layers = spend.spec().get("layer", [spend.spec()])
    assert "tickMinStep" not in layers[0]["encoding"]["y"].get("axis", {})
