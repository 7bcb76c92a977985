"""The three report templates, rendered against a real Agora (four PDFs: see RUNS) for two
officials of different communes, each with a short-lived token that can only read data:
elu-rivemont (99101) in French and elu-bellecombe (99102) in English.

Read back with pdftotext: a title page, numbered pages, no code, only the reader's commune
(no other commune's name, code, sensor or river station), and last the sources with the
snapshot version of every dataset read, which must be the store's current ones. One figure
per reader is recomputed from the snapshot files (the bulletin's weekly PM10 per sensor).
Page 2 of each PDF is kept as a PNG (see `pages_folder`, $AGORA_REPORT_PAGES)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import requests

from hub.reports import parse_period, render_report
from tests.access_oracle import Snapshot
from tests.support import login_form, xsrf_header
from widgets.i18n import format_number

pytestmark = pytest.mark.integration

TEMPLATES = Path(__file__).resolve().parents[3] / "report_templates"
PERIOD = "2025-W48"  # inside every demo dataset's time range
READERS = {"elu-rivemont": ("99101", "fr"), "elu-bellecombe": ("99102", "en")}
# every template and both languages, the bulletin for both readers (its figures are
# recomputed per reader below): four PDFs rather than six
RUNS = [("territory-digest", "elu-rivemont"), ("air-quality-bulletin", "elu-rivemont"),
        ("air-quality-bulletin", "elu-bellecombe"), ("deployment-progress", "elu-bellecombe")]
TITLES = {"territory-digest": ("Synthèse hebdomadaire du territoire", "Weekly territory digest"),
          "air-quality-bulletin": ("Bulletin hebdomadaire de la qualité de l'air",
                                   "Weekly air-quality bulletin"),
          "deployment-progress": ("Avancement des déploiements : bornes de recharge et fibre",
                                  "Deployment progress: EV chargers and fibre")}
READS = {"territory-digest": {"air_quality", "river_levels", "river_stations", "waste_bins",
                              "traffic_light_incidents", "ev_charging_stations", "fibre_rollout",
                              "communes"},
         "air-quality-bulletin": {"air_quality", "communes"},
         "deployment-progress": {"ev_charging_stations", "fibre_rollout", "communes"}}
CODE = ("import ", "def ", "aggregate(", "records(", "say(", "tr(", "display(", "Traceback",
        "Error:")


def data_token(agora, user: str) -> str:
    """A token of `user`, made from their login, that can only reach the datasets service."""
    session = requests.Session()
    login_form(session, agora.url, user, "demo")
    response = session.post(f"{agora.url}hub/api/users/{user}/tokens", headers=xsrf_header(session),
                            json={"note": "report test", "expires_in": 900,
                                  "scopes": ["access:services!service=datasets"]})
    assert response.status_code == 201, response.text
    return response.json()["token"]


@pytest.fixture(scope="module")
def pages_folder(tmp_path_factory):
    """Where page 2 of each PDF is kept as a PNG: $AGORA_REPORT_PAGES (for CI artifacts), else
    a report-pages folder in pytest's tmp dir (which pytest prunes after three runs)."""
    chosen = os.environ.get("AGORA_REPORT_PAGES")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("report-pages")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nreport pages kept as PNG in {folder}")
    return folder


@pytest.fixture(scope="module")
def rendered(agora, tmp_path_factory, pages_folder):
    """{(template, user): (RenderResult, [text of each page])}, two renders at a time."""
    tokens = {user: data_token(agora, user) for user in READERS}
    out = tmp_path_factory.mktemp("reports")

    def render(run):
        name, user = run
        env = {"AGORA_TOKEN": tokens[user],
               "AGORA_DATASETS_URL": f"{agora.url}services/datasets/"}
        started = time.monotonic()
        result = render_report(TEMPLATES / f"{name}.ipynb",
                               {"period": PERIOD, "locale": READERS[user][1],
                                "recipient": f"Mme la maire ({user})"},
                               env, out / f"{name}-{user}.pdf")
        text = subprocess.run(["pdftotext", str(result.pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", "-singlefile",
                        str(result.pdf), str(pages_folder / f"{name}-{user}-page2")], check=True)
        print(f"{name} for {user}: {result.pages} pages, "
              + ", ".join(f"{k} {v:.1f} s" for k, v in result.durations.items())
              + f" ({time.monotonic() - started:.1f} s in all)")
        return run, (result, text.split("\f")[:-1])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(render, RUNS))


@pytest.fixture(scope="module")
def snapshots(agora):
    store = agora.data_dir / "store"
    return {name: Snapshot(store, name) for name in
            ("communes", "air_quality", "river_stations", "ev_charging_stations")}


def others(snapshots, code: str) -> dict[str, set[str]]:
    """What belongs to the other communes: names, codes, sensors, river stations."""
    communes = snapshots["communes"].frame
    air = snapshots["air_quality"].frame
    rivers = snapshots["river_stations"].frame
    return {"names": set(communes.loc[communes["commune_code"] != code, "commune_name"]),
            "sensors": set(air.loc[air["commune_code"] != code, "sensor_id"]),
            "stations": set(rivers.loc[rivers["commune_code"] != code, "station_name"])
            | set(rivers.loc[rivers["commune_code"] != code, "station_code"])}


@pytest.mark.parametrize("name, user", RUNS)
def test_the_title_page_says_what_when_and_for_whom(rendered, name, user):
    result, pages = rendered[name, user]
    locale = READERS[user][1]
    title = TITLES[name][locale == "en"]
    period = parse_period(PERIOD).words(locale)
    cover = " ".join(pages[0].split())
    assert title in cover and period[0].upper() + period[1:] in cover
    assert (f"Destinataire : Mme la maire ({user})" if locale == "fr"
            else f"Prepared for Mme la maire ({user})") in cover
    assert ("Produit le" if locale == "fr" else "Generated on") in cover


@pytest.mark.parametrize("name, user", RUNS)
def test_every_page_after_the_title_is_numbered(rendered, name, user):
    result, pages = rendered[name, user]
    info = subprocess.run(["pdfinfo", str(result.pdf)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"^Pages:\s+(\d+)$", info, re.M)[1] == str(result.pages)
    assert len(pages) == result.pages >= 3
    for number in range(2, result.pages + 1):
        assert f"page {number} / {result.pages}" in pages[number - 1]


@pytest.mark.parametrize("name, user", RUNS)
def test_no_code_in_the_report(rendered, name, user):
    text = "\n".join(rendered[name, user][1])
    assert not [c for c in CODE if c in text]


@pytest.mark.parametrize("name, user", RUNS)
def test_only_the_readers_commune(rendered, snapshots, name, user):
    text = " ".join("\n".join(rendered[name, user][1]).split())
    code = READERS[user][0]
    own = snapshots["communes"].frame.set_index("commune_code")["commune_name"][code]
    assert own in text
    foreign = others(snapshots, code)
    assert set(re.findall(r"\b991\d\d\b", text)) <= {code}
    for kind, values in foreign.items():
        assert not [v for v in values if re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text)], kind


@pytest.mark.parametrize("name, user", RUNS)
def test_the_last_section_lists_every_dataset_read_at_its_current_version(
        rendered, agora, name, user):
    result, pages = rendered[name, user]
    assert set(result.lineage) == READS[name]
    heading = "Sources des données" if READERS[user][1] == "fr" else "Data sources"
    text = "\n".join(pages)
    sources = text[text.rindex(heading):]
    assert heading in "\n".join(pages[-2:])  # the last section, at the end of the report
    store = agora.data_dir / "store"
    for dataset, versions in result.lineage.items():
        assert versions == (Snapshot(store, dataset).version,)
        assert dataset in sources and versions[0] in sources
    assert not re.search(r"\n(Qualité de l'air|Air quality|Rivières|Rivers)\n", sources)


@pytest.mark.parametrize("user", READERS)
def test_the_bulletins_weekly_means_are_the_snapshots(rendered, snapshots, user):
    code, locale = READERS[user]
    air = snapshots["air_quality"].frame
    period = parse_period(PERIOD)
    week = air[(air["commune_code"] == code)
               & (air["measured_at"] >= pd.Timestamp(period.start))
               & (air["measured_at"] < pd.Timestamp(period.end) + pd.Timedelta(days=1))]
    text = " ".join("\n".join(rendered["air-quality-bulletin", user][1]).split())
    means = week.groupby("sensor_id")["pm10"].mean().round(1)
    assert len(means) >= 2
    for sensor, mean in means.items():
        assert re.search(rf"{sensor} \S.*? {re.escape(format_number(mean, None, locale))} ",
                         text), (sensor, mean)
