"""A stand-in for the datasets service on 127.0.0.1, for the notebook-client tests.

It serves the real catalog (``intake_catalog_json`` / ``intake_catalog_yaml``), the datasets'
metadata, and real Parquet/GeoParquet bytes, and
answers 401 unless the request carries ``Authorization: token <service.token>`` — the token it
expects can be changed during a test. Every request's path, query and Authorization header is
recorded. Fixture: ``fake_service``.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import geopandas
import pandas as pd
import pytest
import shapely

import widgets.data
from hub.services.datasets.published.catalog import intake_catalog_json, intake_catalog_yaml
from hub.services.datasets.read.visible import Column, VisibleDataset

BASE_PATH = "/agora/services/datasets/"

AIR = pd.DataFrame({"sensor_id": ["S1", "S2", "S3"], "commune_code": ["69123", "69124", "69123"],
                    "pm10": [12.5, 55.0, 61.2]})
STATIONS = geopandas.GeoDataFrame(
    {"station_id": ["E1", "E2"]},
    geometry=[shapely.Point(4.83, 45.76), shapely.Point(4.85, 45.75)], crs="EPSG:4326")


def fake_datasets() -> list[VisibleDataset]:
    return [
        VisibleDataset(
            id="air_quality", title="Air quality", description="Hourly PM10 readings.",
            theme="ENVI", keywords=("air", "PM10"), publisher="Métropole de Val-de-Lière",
            licence="etalab-2.0", contact_name="Service environnement",
            contact_email="environnement@example.org", update_frequency="hourly",
            frequency_uri="http://publications.europa.eu/resource/authority/frequency/HOURLY",
            spatial="Val-de-Lière", synthetic=True, version="v1",
            updated="2026-11-28T13:10:55+00:00", row_count=3,
            columns=(Column("sensor_id", "string", "pseudonymised"),
                     Column("commune_code", "string"), Column("pm10", "double"))),
        VisibleDataset(
            id="ev_stations", title="EV charging stations", description="Where to charge.",
            theme="transport", keywords=("mobility",), licence="proprietary",
            update_frequency="weekly", updated="2026-11-27T08:00:00+00:00", row_count=2,
            columns=(Column("station_id", "string"), Column("geometry", "geometry")),
            is_geo=True),
    ]


def parquet_bytes(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class FakeService:
    token: str
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    records_body: dict = field(default_factory=lambda: {
        "dataset": "air_quality", "version": "v1", "columns": ["sensor_id", "pm10"],
        "records": [{"sensor_id": "S3", "pm10": 61.2}, {"sensor_id": "S2", "pm10": 55.0}],
        "limit": 1000, "offset": 0, "next": None})

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        route = path[len(BASE_PATH):] if path.startswith(BASE_PATH) else None
        datasets = fake_datasets()
        reader = query.get("reader", ["stock"])[0]
        if route == "api/catalog.json":
            text = intake_catalog_json(datasets, self.url, reader)
            return 200, "application/json", text.encode()
        if route == "api/catalog.yaml":
            text = intake_catalog_yaml(datasets, self.url, reader)
            return 200, "application/yaml", text.encode()
        described = {f"api/datasets/{d.id}": d for d in datasets}
        if route in described:
            return 200, "application/json", json.dumps(described[route].to_dict()).encode()
        if route == "api/datasets":
            body = {"datasets": [d.summary() for d in datasets]}
            return 200, "application/json", json.dumps(body).encode()
        if route == "api/datasets/air_quality/records":
            return 200, "application/json", json.dumps(self.records_body).encode()
        if route == "api/datasets/air_quality/export.parquet":
            return 200, "application/vnd.apache.parquet", parquet_bytes(AIR)
        if route == "api/datasets/ev_stations/export.parquet":
            return 200, "application/vnd.apache.parquet", parquet_bytes(STATIONS)
        return 404, "application/json", b'{"error": "not found"}'


def _handler(service: FakeService):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            auth = self.headers.get("Authorization")
            query = parse_qs(parts.query)
            service.requests.append(Seen(parts.path, query, auth))
            if auth != f"token {service.token}":
                status, kind = 403, "application/json"  # as base.DatasetsHandler.refuse
                body = b'{"error": "invalid, expired or insufficient token"}'
            else:
                status, kind, body = service.answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_service():
    service = FakeService(token="first-token-0123456789")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    service.url = f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        widgets.data._trusted.clear()  # services trusted with catalog(url=...) in the test
