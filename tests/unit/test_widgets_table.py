"""Tables: pages, sorting, "N of M rows" on paper, and exports of exactly what is shown."""

import base64
import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import pytest

import widgets as w
from widgets.export import download_link, file_bytes

from .widgets_fakes import (  # noqa: F401
    AIR,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)

SERVICE = "https://agora.example.org/services/datasets/"


def parts(widget):
    """The interactive table's pieces: sort dropdown, page HTML, buttons, status, exports."""
    body, pager, exports = widget.children
    previous, status, following, sort = pager.children
    return sort, body, previous, status, following, exports


def test_a_data_frame_table_pages_and_sorts():
    table = w.Table(AIR, page_size=2, sort="-pm10", locale="en")
    sort, body, previous, status, following, _ = parts(table.interactive())
    assert "61.5" in body.value and "48" in body.value and "35" not in body.value
    assert status.value == "rows 1–2 of 5" and previous.disabled and not following.disabled
    following.click()
    assert "35" in body.value and status.value == "rows 3–4 of 5" and not previous.disabled
    following.click()
    assert status.value == "rows 5–5 of 5" and following.disabled
    sort.value = "commune_code"
    assert table.page == 0 and status.value == "rows 1–2 of 5"
    assert re.findall(r">(691\d\d)<", body.value) == ["69123", "69123"]
    assert 'aria-sort="ascending"' in body.value


def test_static_table_shows_the_first_rows_and_how_many_there_are():
    table = w.Table(AIR, page_size=2, sort="-pm10", title="Relevés", locale="fr")
    html = table.static_html()
    check_static(html)
    assert "2 sur 5 lignes" in html and "<caption" in html and '<th scope="col"' in html
    assert "61,5" in html and "05/02/2026" in html  # numbers and dates in French
    more = w.Table(AIR, page_size=2, static_rows=4, locale="en").static_html()
    assert "4 of 5 rows" in more


def test_suppressed_groups_show_as_hidden_cells():
    frame = pd.DataFrame({"commune": ["A", "B"], "count": [12, None], "suppressed": [False, True]})
    html = w.Table(frame, locale="en").static_html()
    assert ">hidden<" in html and "suppressed" not in html


def test_a_data_frame_table_exports_every_row_in_its_order_and_columns():
    table = w.Table(AIR, columns=["commune_code", "pm10"], sort="-pm10", page_size=2)
    csv = pd.read_csv(io.BytesIO(file_bytes(table.sorted_frame(), "csv")), dtype=str)
    assert list(csv.columns) == ["commune_code", "pm10"] and len(csv) == 5
    assert csv["pm10"].tolist()[0] == "61.5"
    sheet = pd.read_excel(io.BytesIO(file_bytes(table.sorted_frame(), "xlsx")))
    assert sheet["pm10"].tolist() == sorted(AIR["pm10"], reverse=True)


def test_excel_takes_zoned_times():
    frame = pd.DataFrame({"at": pd.to_datetime(["2026-01-01T10:00:00+00:00"])})
    assert pd.read_excel(io.BytesIO(file_bytes(frame, "xlsx")))["at"].notna().all()


def test_the_download_link_holds_the_file():
    link = download_link(AIR.head(2), "csv", "air", "en")
    body = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', link).group(1)
    assert base64.b64decode(body).decode().startswith("commune_code,measured_at,pm10")
    assert 'download="air.csv"' in link and "Download air.csv" in link


def test_the_export_buttons_make_the_file_on_click():
    table = w.Table(AIR, page_size=2)
    exports = parts(table.interactive())[-1]
    _, xlsx_button, link = exports.children
    assert link.value == ""
    xlsx_button.click()
    assert "data:application/vnd.openxmlformats" in link.value


@pytest.fixture
def service(monkeypatch):
    monkeypatch.setenv("AGORA_DATASETS_URL", SERVICE)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-token-1234")


def test_a_dataset_table_reads_one_page_at_a_time(fake_source, service):
    table = w.Table.of("air_quality", select=["commune_code", "pm10"], sort="-pm10",
                       where=[("pm10", "gt", 15)], page_size=2, locale="en")
    *_, status, following, _ = parts(table.interactive())
    first = fake_source.called("records")[-1]
    assert first == {"where": [("pm10", "gt", 15)], "select": ["commune_code", "pm10"],
                     "order_by": ["-pm10"], "limit": 2, "offset": 0}
    assert status.value == "rows 1–2 of 4"  # counted by the service (aggregate count)
    following.click()
    assert fake_source.called("records")[-1]["offset"] == 2


def test_dataset_exports_link_to_the_service_with_the_same_request(fake_source, service):
    panel = w.FilterPanel(data=AIR)
    table = w.Table.of("air_quality", select=["commune_code", "pm10"], sort="-pm10",
                       filters=panel, where=[("pm10", "gt", 15)])
    panel.set("commune_code", ["69123", "69124"])
    urls = dict(re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', table.links()))
    assert set(urls.values()) == {"Exporter en CSV", "Exporter en Excel"}
    csv_url = next(u for u, text in urls.items() if "CSV" in text).replace("&amp;", "&")
    parsed = urlsplit(csv_url)
    assert csv_url.startswith(SERVICE + "api/datasets/air_quality/export.csv?")
    query = parse_qs(parsed.query)
    assert query == {"where": ["pm10:gt:15", "commune_code:in:69123|69124"],
                     "select": ["commune_code,pm10"], "order_by": ["-pm10"]}
    assert "secret-token" not in unquote(table.links())  # the browser's own login is used


def test_without_the_service_address_the_export_says_so(fake_source, monkeypatch):
    monkeypatch.delenv("AGORA_DATASETS_URL", raising=False)
    for name in ("JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_HOST"):
        monkeypatch.delenv(name, raising=False)
    table = w.Table.of("air_quality", locale="en")
    assert "Export unavailable" in table.links()


def test_a_static_dataset_table_prints_the_first_rows(fake_source):
    table = w.Table.of("air_quality", sort="-pm10", static_rows=3, locale="en")
    html = table.static_html()
    check_static(html)
    assert "3 of 5 rows" in html
    assert fake_source.called("records")[-1]["limit"] == 3


def test_a_table_of_groups_reads_one_aggregate_and_exports_its_own_rows(fake_source):
    table = w.Table.of("air_quality", by="commune_code", measure=["count", "max:pm10"],
                       sort="-max_pm10", page_size=2, locale="en")
    assert table.page_rows()["commune_code"].tolist() == ["69123", "69124"]
    assert table.total() == 3 and table.links() is None  # the groups, not the service's rows
    assert fake_source.called("records") == []
    assert fake_source.called("aggregate")[-1]["by"] == ["commune_code"]
    monthly = w.Table.of("air_quality", bucket="measured_at:month")
    assert monthly.data["count"].tolist() == [2, 3]
    assert fake_source.called("aggregate")[-1]["order_by"] == ["measured_at_month"]
