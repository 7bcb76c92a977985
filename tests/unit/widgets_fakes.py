"""Fakes for the widget tests: a data source that records every call, HTML checks.

Fixture ``fake_source`` replaces ``widgets.source.aggregate``, ``records`` and ``describe``
(the one place widgets read a dataset) with functions answering from small DataFrames; each
call is recorded as (function, dataset, arguments).
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

    def aggregate(self, dataset, by=(), measures=("count",), where=(), bucket=None,
                  order_by=None, limit=None):
        self.calls.append(("aggregate", dataset, {"by": by, "measures": list(measures),
                                                  "where": list(where), "bucket": bucket,
                                                  "order_by": order_by, "limit": limit}))
        rows = self.frame[matches(self.frame, where)].copy()
        keys = list(by or ())
        if bucket:
            column, unit = bucket.split(":")
            rows[f"{column}_{unit}"] = rows[column].dt.to_period(unit[0].upper()).dt.start_time
            keys.append(f"{column}_{unit}")
        return self._measure(rows, keys, measures).head(limit) if limit else self._measure(
            rows, keys, measures)

    @staticmethod
    def _measure(rows, keys, measures):
        def one(group):
            out = {}
            for m in measures:
                fn, _, col = m.partition(":")
                out[m.replace(":", "_")] = len(group) if fn == "count" else getattr(
                    group[col], fn)()
            return pd.Series(out)

        if not keys:
            return pd.DataFrame([one(rows)])
        return rows.groupby(keys).apply(one, include_groups=False).reset_index()

    def records(self, dataset, where=(), select=(), order_by=(), limit=1000, offset=0):
        self.calls.append(("records", dataset, {"where": list(where), "select": select,
                                                "order_by": order_by, "limit": limit,
                                                "offset": offset}))
        rows = self.frame[matches(self.frame, where)]
        for key in reversed(list(order_by or ())):
            rows = rows.sort_values(key.lstrip("-"), ascending=not key.startswith("-"),
                                    kind="stable")
        rows = rows[list(select)] if select else rows
        return rows.iloc[offset:offset + limit].reset_index(drop=True)

    def describe(self, dataset):
        self.calls.append(("describe", dataset, {}))
        return self.metadata

    def called(self, name):
        return [args for fn, _, args in self.calls if fn == name]


@pytest.fixture
def fake_source(monkeypatch):
    fake = FakeSource()
    for name in ("aggregate", "records", "describe"):
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
