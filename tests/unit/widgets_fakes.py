"""Fakes for the widget tests: a data source that records every call, HTML checks.

Fixture ``fake_source`` replaces ``widgets.source.aggregate``, ``records``, ``read``,
``describe`` and ``listing`` (the one place widgets read a dataset) with functions answering
from small DataFrames; each call is recorded as (function, dataset, arguments). Its `datasets`
(id -> (metadata, frame)) hold a catalog of several datasets, `frames` (id -> frame) other
datasets' rows under the same metadata; by default every id answers with AIR and METADATA.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

import html5lib
import pandas as pd
import pytest

from widgets import render, source

AIR = pd.DataFrame({
    "commune_code": ["69123", "69123", "69124", "69124", "69125"],
    "measured_at": pd.to_datetime(["2026-01-05", "2026-02-05", "2026-01-06", "2026-02-06",
                                   "2026-02-07"]),
    "pm10": [20.0, 61.5, 35.0, 48.0, 12.0],
})
SCHEMA = [{"name": "sensor_id", "type": "string", "rule": "pseudonymised"},
          {"name": "commune_code", "type": "string", "rule": None},
          {"name": "measured_at", "type": "timestamp[us, tz=UTC]", "rule": None},
          {"name": "pm10", "type": "double", "rule": None},
          {"name": "geometry", "type": "geometry", "rule": None}]
METADATA = {"id": "air_quality", "title": "Air quality", "updated": "2026-11-28T06:00:00+00:00",
            "update_frequency": "daily", "version": "20261128T060000123456Z",
            "columns": SCHEMA, "quality": {"columns": {"pm10": {"checked": 5, "invalid": 2}}},
            "refresh": {"last_result": "new", "consecutive_failures": 0}}

BUDGET = pd.DataFrame({
    "commune": ["Lyon", "Lyon", "Bron", "Bron", "Écully"],
    "kind": ["voirie", "écoles", "voirie", "écoles", "voirie"],
    "spent_on": pd.to_datetime(["2026-01-10", "2026-02-11", "2026-01-20", "2026-03-02",
                                "2026-03-15"]),
    "amount": [1200.0, 800.0, 300.0, 450.0, 90.0],
})
BUDGET_METADATA = {
    "id": "budget", "title": "Dépenses d'investissement", "theme": "ECON",
    "description": "Mandats payés par commune et par nature de dépense.",
    "keywords": ["budget", "finances"], "licence": "etalab-2.0", "rows": 5,
    "updated": "2026-11-30T06:00:00+00:00", "update_frequency": "monthly",
    "columns": [{"name": "commune", "type": "string", "rule": None},
                {"name": "kind", "type": "string", "rule": None},
                {"name": "spent_on", "type": "date32[day]", "rule": None},
                {"name": "amount", "type": "double", "rule": None}],
    "quality": {"columns": {"amount": {"checked": 5}}}}
BINS = pd.DataFrame({"bin_id": ["h1", "h2", "h3"], "commune": ["Lyon", "Bron", "Lyon"],
                     "stream": ["verre", "papier", "verre"]})
BINS_METADATA = {
    "id": "waste_bins", "title": "Points d'apport volontaire", "theme": "ENVI",
    "description": "Conteneurs à verre et à papier.", "keywords": ["déchets", "tri"],
    "licence": "odbl", "rows": 3, "updated": "2026-06-01T06:00:00+00:00",
    "update_frequency": "weekly",
    "columns": [{"name": "bin_id", "type": "string", "rule": "pseudonymised"},
                {"name": "commune", "type": "string", "rule": None},
                {"name": "stream", "type": "string", "rule": None}],
    "quality": {"columns": {}}}
AIR_METADATA = {**METADATA, "description": "Relevés horaires des capteurs de particules.",
                "theme": "ENVI", "keywords": ["air", "PM10", "pollution"],
                "licence": "etalab-2.0", "rows": 5}
CATALOG = {"air_quality": (AIR_METADATA, AIR), "budget": (BUDGET_METADATA, BUDGET),
           "waste_bins": (BINS_METADATA, BINS)}
LISTED = ("id", "title", "description", "theme", "keywords", "licence", "updated", "rows",
          "geo")


OPERATORS = {"in": lambda data, value: data.isin(value), "eq": lambda data, value: data == value,
             "ge": lambda data, value: data >= value, "le": lambda data, value: data <= value,
             "gt": lambda data, value: data > value, "lt": lambda data, value: data < value,
             "contains": lambda data, value: data.astype(str).str.contains(value)}


def matches(frame: pd.DataFrame, where) -> pd.Series:
    """The rows of `frame` meeting conditions (column, op, value), as the service would."""
    keep = pd.Series(True, index=frame.index)
    for column, op, value in where:
        data = frame[column]
        keep &= OPERATORS[op](data, pd.Timestamp(value) if data.dtype.kind == "M" else value)
    return keep


@dataclass
class FakeSource:
    frame: pd.DataFrame = field(default_factory=lambda: AIR.copy())
    metadata: dict = field(default_factory=lambda: dict(METADATA))
    calls: list = field(default_factory=list)
    datasets: dict = field(default_factory=dict)  # id -> (metadata, frame); {}: AIR for any id
    frames: dict = field(default_factory=dict)  # id -> its own (Geo)DataFrame, METADATA's
    error: Exception | None = None  # raised by every data call when set

    def _frame(self, dataset):
        if self.error is not None:
            raise self.error
        if dataset in self.datasets:
            return self.datasets[dataset][1]
        return self.frames.get(dataset, self.frame)

    def aggregate(self, dataset, by=(), measures=("count",), where=(), bucket=None,
                  order_by=None, limit=None):
        self.calls.append(("aggregate", dataset, {"by": by, "measures": list(measures),
                                                  "where": list(where), "bucket": bucket,
                                                  "order_by": order_by, "limit": limit}))
        frame = self._frame(dataset)
        rows = frame[matches(frame, where)].copy()
        keys = list(by or ())
        if bucket:
            column, unit = bucket.split(":")
            rows[f"{column}_{unit}"] = rows[column].dt.to_period(unit[0].upper()).dt.start_time
            keys.append(f"{column}_{unit}")
        groups = self._measure(rows, keys, measures)
        for key in reversed(list(order_by or ())):
            groups = groups.sort_values(key.lstrip("-"), ascending=not key.startswith("-"),
                                        kind="stable")
        return groups.head(limit) if limit else groups

    @staticmethod
    def _measure(rows, keys, measures):
        def one(group):
            out = {}
            for m in measures:
                fn, _, col = m.partition(":")
                out[m.replace(":", "_")] = (
                    (group[col].count() if col else len(group)) if fn == "count"
                    else group[col].nunique() if fn == "distinct"
                    else group[col].quantile(int(fn[1:]) / 100) if fn.startswith("p")
                    else getattr(group[col], fn)())
            return pd.Series(out)

        if not keys:
            return pd.DataFrame([one(rows)])
        return rows.groupby(keys).apply(one, include_groups=False).reset_index()

    def records(self, dataset, where=(), select=(), order_by=(), limit=1000, offset=0):
        self.calls.append(("records", dataset, {"where": list(where), "select": select,
                                                "order_by": order_by, "limit": limit,
                                                "offset": offset}))
        frame = self._frame(dataset)
        rows = frame[matches(frame, where)]
        for key in reversed(list(order_by or ())):
            rows = rows.sort_values(key.lstrip("-"), ascending=not key.startswith("-"),
                                    kind="stable")
        rows = rows[list(select)] if select else rows
        return rows.iloc[offset:offset + limit].reset_index(drop=True)

    def read(self, dataset, where=(), select=(), order_by=(), limit=None):
        self.calls.append(("read", dataset, {"where": list(where), "select": list(select),
                                             "order_by": list(order_by), "limit": limit}))
        frame = self._frame(dataset)
        rows = frame[matches(frame, where)]
        rows = rows[list(select)] if select else rows
        return (rows.head(limit) if limit else rows).reset_index(drop=True)

    def describe(self, dataset):
        self.calls.append(("describe", dataset, {}))
        self._frame(dataset)
        return self.datasets[dataset][0] if dataset in self.datasets else self.metadata

    def listing(self):
        self.calls.append(("listing", None, {}))
        if self.error is not None:
            raise self.error
        items = [m for m, _ in self.datasets.values()] or [self.metadata]
        return [{k: m.get(k) for k in LISTED} for m in items]

    def called(self, name):
        return [args for fn, _, args in self.calls if fn == name]


@pytest.fixture
def fake_source(monkeypatch):
    fake = FakeSource()
    for name in ("aggregate", "records", "read", "describe", "listing"):
        monkeypatch.setattr(source, name, getattr(fake, name))
    return fake


@pytest.fixture(autouse=True)
def default_mode_and_locale(monkeypatch):
    """Each test starts interactive and in French, whatever the machine's environment."""
    from widgets import i18n

    monkeypatch.delenv(render.MODE_VARIABLE, raising=False)
    monkeypatch.delenv(i18n.LOCALE_VARIABLE, raising=False)
    render.set_mode(None)
    i18n.set_locale(None)
    yield
    render.set_mode(None)
    i18n.set_locale(None)


@pytest.fixture
def no_network(monkeypatch):
    """Sockets may only connect to loopback: any other address raises."""
    real = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")
                                      or self.family == socket.AF_UNIX):
            return real(self, address)
        raise OSError(f"network blocked in this test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)


def check_static(html: str) -> None:
    """Valid HTML, nothing loaded from elsewhere, alt text on images, scoped headers."""
    page = render.html_page(html)
    html5lib.HTMLParser(strict=True).parse(page)
    lowered = re.sub(r'src="data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+"', 'src=""', html).lower()
    for loaded in ("<script", "<link", "@import", "url(", "<iframe", "<object", "http"):
        assert loaded not in lowered, f"static HTML must not contain {loaded!r}"
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'\balt="[^"]{10,}"', img), f"an image without alt text: {img[:80]}"
    for svg in re.findall(r"<svg\b[^>]*>", html):
        assert 'role="img"' in svg and re.search(r'aria-label="[^"]{10,}"', svg), svg
    for th in re.findall(r"<th\b[^>]*>", html):
        assert "scope=" in th, th
