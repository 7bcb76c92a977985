"""The portal in-process, in front of the REAL datasets service (in-process too).

Both applications are the production ones; only each one's hub lookup is replaced at its seam:
the portal's ``identify`` takes the visitor from an ``X-Test-User`` header and gives them the
token ``tok-<name>``; the datasets service's ``user_model`` maps that token back to the demo
user. So every page here shows what the datasets service let THAT token see: the portal adds
no right of its own. The real HubOAuth path is covered by tests/browser/test_portal.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from dataclasses import dataclass

import geopandas
import html5lib
import pytest
import requests
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.login import demo_accounts as demo
from hub.services.datasets import audit
from hub.services.datasets.http.app import make_app as datasets_app
from hub.services.datasets.http.identity import Identity, StaticGroups
from hub.services.datasets.read.engine import Engine
from hub.services.datasets.read.registry import DatasetRegistry
from hub.services.portal import audience, catalog, language, markdown
from hub.services.portal.app import make_app as portal_app
from hub.services.portal.datasets_client import DatasetsClient
from hub.services.portal.handlers import Visitor
from tests.datasets_support import KEY, build_workspace
from tests.support import free_port

BASE = "/agora/"
USERS = {a.name: {"kind": "user", "name": a.name, "admin": a.admin, "groups": list(a.groups)}
         for a in demo.ACCOUNTS}


async def user_of_token(handler):
    """The datasets service's seam: the demo user whose test token is sent."""
    header = handler.request.headers.get("Authorization", "")
    return USERS.get(header.removeprefix("token tok-")) if header.startswith("token tok-") else None


async def visitor_of_header(handler):
    """The portal's seam: the visitor named in X-Test-User, with their own test token."""
    name = handler.request.headers.get("X-Test-User", "")
    return Visitor(USERS[name], f"tok-{name}") if name in USERS else None


class Threaded:
    """A tornado application on a free loopback port, in its own thread and loop."""

    def __init__(self, app, prefix: str):
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(5)

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = self.app.listen(self.port, "127.0.0.1")
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    ws = build_workspace(tmp_path_factory.mktemp("portal-ws"))
    groups = StaticGroups({name: g["properties"] for name, g in demo.load_groups().items()})
    registry = DatasetRegistry(ws.catalog_dir, ws.store, has_key=True, check_every=0)
    prefix = BASE + "services/datasets/"
    app = datasets_app(prefix=prefix, registry=registry, engine=Engine(KEY.encode()),
                       identity=Identity(groups), audit_dir=audit.audit_dir(ws.data_dir),
                       user_model=user_of_token)
    server = Threaded(app, prefix)
    yield server
    server.stop()
    app.settings["engine"].shutdown()


def start_portal(datasets_url: str) -> Threaded:
    prefix = BASE + "services/portal/"
    return Threaded(portal_app(prefix=prefix, base_url=BASE, datasets=DatasetsClient(datasets_url),
                               identify=visitor_of_header), prefix)


@pytest.fixture(scope="module")
def portal(datasets):
    server = start_portal(datasets.url)
    yield server
    server.stop()


@dataclass
class Page:
    status: int
    text: str
    response: requests.Response


def get(portal, path: str, user: str | None = "analyst", **headers) -> Page:
    if user:
        headers["X-Test-User"] = user
    response = requests.get(portal.url + path, headers=headers, timeout=30)
    html5lib.HTMLParser(strict=True).parse(response.text)  # well-formed HTML, every page
    return Page(response.status_code, response.text, response)


def readable_ids(datasets, user: str) -> set[str]:
    answer = requests.get(datasets.url + "api/datasets", timeout=30,
                          headers={"Authorization": f"token tok-{user}"})
    return {d["id"] for d in answer.json()["datasets"]}


# -- pages ---------------------------------------------------------------------------------

def test_home_greets_the_visitor_in_french_with_their_catalogue(portal, datasets):
    page = get(portal, "")
    assert page.status == 200 and '<html lang="fr">' in page.text
    assert "Bonjour analyst" in page.text
    assert f"{len(readable_ids(datasets, 'analyst'))} jeux de données vous sont accessibles" \
        in page.text
    assert "Aucun tableau de bord pour l&#39;instant." in page.text
    assert 'href="/agora/hub/spawn"' in page.text  # an analyst gets a workspace
    assert "Gouvernement et secteur public" in page.text  # the recipes' theme GOVE, in words
    assert page.response.headers["Cache-Control"] == "no-store"


def test_officials_get_no_workspace_link(portal):
    page = get(portal, "", user="elu-rivemont")
    assert page.status == 200 and "Bonjour elu-rivemont" in page.text
    assert "hub/spawn" not in page.text and "Mon espace de travail" not in page.text


@pytest.mark.parametrize("user", ["analyst", "elu-rivemont", "partner"])
def test_catalogue_lists_exactly_what_the_datasets_service_lets_the_visitor_read(portal, datasets,
                                                                                 user):
    page = get(portal, "catalog", user=user)
    listed = set(__import__("re").findall(r'href="/agora/services/portal/datasets/(\w+)"',
                                          page.text))
    assert listed == readable_ids(datasets, user)
    assert "secret_hr" not in page.text and "Salaries" not in page.text


def test_catalogue_search_is_server_side(portal):
    page = get(portal, "catalog?q=INCIDENT")
    assert "datasets/incidents" in page.text and "datasets/stations" not in page.text
    assert "1 jeu de données" in page.text and 'value="INCIDENT"' in page.text
    none = get(portal, "catalog?q=nothing-like-this")
    assert "Aucun jeu de données ne correspond" in none.text
    themed = get(portal, "catalog?theme=GOVE&keyword=test")
    assert "datasets/incidents" in themed.text and "datasets/stations" in themed.text
    assert '<option value="GOVE" selected>' in themed.text
    assert "Aucun jeu de données" in get(portal, "catalog?theme=HEAL").text


def test_dataset_page_shows_the_columns_as_the_visitor_sees_them(portal):
    official = get(portal, "datasets/incidents", user="elu-rivemont")
    assert official.status == 200
    assert "<code>nir</code>" not in official.text  # hidden by the policy
    assert "remplacé par un code (pseudonymisé)" in official.text  # name
    assert "regroupé par tranches" in official.text  # age in bands
    assert "Licence Ouverte 2.0 (Etalab)" in official.text and "chaque jour" in official.text
    assert 'href="mailto:test@example.org"' in official.text
    analyst = get(portal, "datasets/incidents")
    assert "pseudonymisé" not in analyst.text and "<code>age</code>" in analyst.text
    assert "Remarque" in official.text and "Remarque" not in analyst.text  # no empty column


def test_dataset_page_links_downloads_through_the_datasets_service(portal):
    page = get(portal, "datasets/incidents", user="elu-rivemont")
    exports = "/agora/services/datasets/api/datasets/incidents/export."
    for fmt in ("csv", "xlsx", "parquet"):
        assert f'href="{exports}{fmt}" download' in page.text
    assert "export.geojson" not in page.text  # no geometry in this dataset
    assert "stations/export.geojson" in get(portal, "datasets/stations").text


def test_dataset_page_snippets_carry_a_placeholder_never_the_visitors_token(portal):
    page = get(portal, "datasets/incidents")
    assert "Authorization: token VOTRE_JETON" in page.text
    assert f"http://127.0.0.1:{portal.port}/agora/services/datasets/api/datasets/" in page.text
    assert 'href="/agora/services/portal/tokens">Créer un jeton d&#39;accès' in page.text
    assert "tok-analyst" not in page.text
    assert "from widgets import read" in page.text  # analysts have a workspace
    assert "from widgets import read" not in get(portal, "datasets/incidents",
                                                 user="elu-rivemont").text


def test_dataset_page_tells_freshness_quality_and_lineage_in_words(portal):
    page = get(portal, "datasets/incidents")
    assert "Fraîcheur\u00a0: À jour" in page.text and "mis à jour" in page.text
    assert "Qualité\u00a0:" in page.text
    assert "Freshness: Up to date" in get(portal, "datasets/incidents?lang=en").text
    withheld = get(portal, "datasets/incidents", user="elu-rivemont")  # row rules: counts withheld
    assert "<strong>Qualité</strong>\u00a0: non communiquée" in withheld.text
    assert "fichier Parquet" in page.text and "colonnes renommées" in page.text
    assert "Version" in page.text and "{" not in page.text.split("<main", 1)[1].split(
        "<pre", 1)[0]  # no raw JSON before the code snippets


def test_forbidden_and_unknown_datasets_get_the_same_404_page(portal):
    forbidden = get(portal, "datasets/secret_hr")
    unknown = get(portal, "datasets/no_such_thing")
    malformed = get(portal, "datasets/..%2Fetc")
    assert forbidden.status == unknown.status == malformed.status == 404
    # the same page, but for the language switch's link back to the same address
    assert (forbidden.text.replace("secret_hr", "X") == unknown.text.replace("no_such_thing", "X")
            == malformed.text.replace("..%2Fetc", "X"))
    assert "Page introuvable" in forbidden.text
    english = get(portal, "datasets/secret_hr?lang=en")
    assert english.status == 404 and "Page not found" in english.text
    assert get(portal, "no/such/page").status == 404


def test_english_by_query_by_cookie_and_by_accept_language(portal):
    page = get(portal, "catalog?lang=en")
    assert '<html lang="en">' in page.text and "Data catalogue" in page.text
    assert page.response.cookies.get(language.COOKIE) == "en"
    assert 'href="/agora/services/portal/catalog?lang=fr"' in page.text  # the visible switch
    cookie = requests.get(portal.url, headers={"X-Test-User": "analyst"},
                          cookies={language.COOKIE: "en"}, timeout=30)
    assert "Hello analyst" in cookie.text
    browser = get(portal, "", **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert "Hello analyst" in browser.text and "No dashboard yet." in browser.text
    assert "Bonjour" in get(portal, "", **{"Accept-Language": "de-DE"}).text


def test_switch_keeps_the_search(portal):
    page = get(portal, "catalog?q=incidents&theme=GOVE")
    assert 'href="/agora/services/portal/catalog?q=incidents&amp;theme=GOVE&amp;lang=en"' \
        in page.text


def test_no_visitor_no_page(portal):
    page = get(portal, "", user=None)
    assert page.status == 403 and "Bonjour" not in page.text


def test_datasets_service_down_gives_readable_pages():
    port = free_port()  # nothing listens there
    portal = start_portal(f"http://127.0.0.1:{port}{BASE}services/datasets/")
    try:
        home = get(portal, "")
        assert home.status == 200 and "Le service des données ne répond pas" in home.text
        for path in ("catalog", "datasets/incidents"):
            page = get(portal, path)
            assert page.status == 503 and "Catalogue momentanément indisponible" in page.text
            assert "Traceback" not in page.text
        assert "temporarily unavailable" in get(portal, "catalog?lang=en").text
    finally:
        portal.stop()


def test_stylesheet_is_served_by_the_portal(portal):
    page = get(portal, "")
    css = __import__("re").search(r'href="(/agora/services/portal/static/portal\.css[^"]*)"',
                                  page.text)
    assert css
    answer = requests.get(f"http://127.0.0.1:{portal.port}{css.group(1)}", timeout=10)
    assert answer.status_code == 200 and ":focus-visible" in answer.text
    assert "http" not in page.text.lower().split("<body", 1)[0].replace(
        'href="/agora', "")  # nothing loaded from elsewhere


# -- API tokens ------------------------------------------------------------------------------

def example(page: Page, name: str) -> str:
    import html
    import re

    found = re.search(rf'<pre class="code" data-example="{name}"><code>(.*?)</code>', page.text,
                      re.S)
    return html.unescape(found.group(1))


@pytest.mark.parametrize("user", ["partner", "elu-rivemont", "analyst"])
def test_every_visitor_is_led_to_the_tokens_page(portal, user):
    page = get(portal, "", user=user)
    assert page.text.count('href="/agora/services/portal/tokens"') == 2  # navigation, home
    tokens = get(portal, "tokens", user=user)
    assert tokens.status == 200 and "<h1>Jetons d&#39;accès</h1>" in tokens.text
    assert '<a href="/agora/services/portal/tokens" aria-current="page">' in tokens.text
    assert tokens.response.headers["Cache-Control"] == "no-store"


def test_tokens_page_guides_to_the_hubs_token_page_with_the_data_only_scope(portal):
    page = get(portal, "tokens", user="partner")
    assert 'href="/agora/hub/token"' in page.text
    assert 'value="access:services!service=datasets"' in page.text
    assert "1 Week" in page.text and "1 Year" in page.text and "Request new API token" in page.text
    english = get(portal, "tokens?lang=en", user="partner")
    assert "<h1>API tokens</h1>" in english.text and "it will never be shown again" in english.text


def test_token_examples_use_this_agoras_urls_and_the_environment_never_a_token(portal, datasets):
    page = get(portal, "tokens", user="partner")
    service = f"http://127.0.0.1:{portal.port}/agora/services/datasets/"
    assert readable_ids(datasets, "partner") == {"stations"}  # a map layer: table and layer
    assert f'"{service}api/datasets/stations/export.csv"' in example(page, "pandas")
    assert f"{service}api/datasets/stations/export.geojson" == example(page, "qgis")
    assert 'GDAL_HTTP_HEADERS="Authorization: token $AGORA_TOKEN"' in example(page, "gdal")
    assert 'Sys.getenv("AGORA_TOKEN")' in example(page, "r")
    assert 'storage_options={"Authorization": f"token {os.environ[\'AGORA_TOKEN\']}"}' \
        in example(page, "pandas")
    assert f'"{service}api/catalog.yaml"' in example(page, "intake")
    for code in ("curl", "pandas", "intake", "gdal", "r"):
        assert "AGORA_TOKEN" in example(page, code)
    assert "tok-partner" not in page.text


def test_the_pandas_intake_and_geopandas_examples_really_read_the_data(portal, datasets, monkeypatch):
    """The page's own Python, run against the datasets service with the partner's token."""
    page = get(portal, "tokens", user="partner")
    monkeypatch.setenv("AGORA_TOKEN", "tok-partner")
    pandas_code = example(page, "pandas").replace(f"127.0.0.1:{portal.port}",
                                                   f"127.0.0.1:{datasets.port}")
    scope: dict = {}
    exec(pandas_code, scope)  # the page's own example, on a test server
    assert len(scope["frame"]) > 0
    intake_code = example(page, "intake").replace(f"127.0.0.1:{portal.port}",
                                                   f"127.0.0.1:{datasets.port}")
    exec(intake_code, read := {})
    assert isinstance(read["frame"], geopandas.GeoDataFrame)  # the catalog knows it is a map
    assert list(read["frame"]["station"]) == list(scope["frame"]["station"])
    python = example(page, "gdal").split("# Python\n", 1)[1].replace(
        f"127.0.0.1:{portal.port}", f"127.0.0.1:{datasets.port}")
    monkeypatch.setenv("GDAL_HTTP_HEADERS", "")
    exec(python, scope)
    assert len(scope["layer"]) == len(scope["frame"]) and scope["layer"].crs.to_epsg() == 4326


def test_token_examples_without_readable_data_use_a_placeholder():
    from hub.services.portal.tokens_page import example_datasets, examples

    assert example_datasets([]) == ("DATASET_ID", None)
    assert example_datasets([{"id": "a", "geo": True}, {"id": "b"}]) == ("b", "a")
    code = examples("https://agora.example/services/datasets/", "DATASET_ID", None)
    assert "datasets/DATASET_ID/export.geojson" in code["gdal"]


# -- pieces ----------------------------------------------------------------------------------

def test_markdown_is_rendered_safely():
    html = markdown.to_html("**Synthetic** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>Synthetic</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert markdown.first_paragraph("Hourly **PM10**\nreadings.\n\nMore.") == "Hourly PM10 readings."


def test_search_ignores_accents_and_case():
    items = [{"id": "air", "title": "Qualité de l'air", "keywords": ["PM10"], "theme": "ENVI"},
             {"id": "bus", "title": "Bus", "keywords": ["mobilité"], "theme": "transport"}]
    assert [i["id"] for i in catalog.search(items, catalog.Search("qualite AIR"), "fr")] == ["air"]
    assert [i["id"] for i in catalog.search(items, catalog.Search("environnement"), "fr")] == ["air"]
    assert [i["id"] for i in catalog.search(items, catalog.Search(theme="TRAN"), "fr")] == ["bus"]
    assert [i["id"] for i in catalog.search(items, catalog.Search(keyword="Mobilite"), "en")] \
        == ["bus"]
    assert catalog.themes(items, "en") == [("ENVI", "Environment", 1), ("TRAN", "Transport", 1)]


def test_accept_language_preference_order():
    assert language.from_accept_language("de,fr;q=0.4,en;q=0.8") == "en"
    assert language.from_accept_language("en;q=0,fr;q=0.1") == "fr"
    assert language.choose(None, None, None) == "fr"
    assert language.choose("xx", "en", "fr") == "en"


@pytest.mark.parametrize("user, allowed", [
    ({"name": "a", "groups": ["analysts"]}, True), ({"name": "s", "groups": ["schedulers"]}, True),
    ({"name": "x", "groups": [], "admin": True}, True),
    ({"name": "o", "groups": ["officials", "commune-99101"]}, False),
    ({"name": "p", "groups": ["partners"]}, False)])
def test_who_gets_a_workspace(user, allowed):
    assert audience.may_have_workspace(user) is allowed


def test_the_portal_follows_the_workspace_settings():
    official = {"name": "o", "groups": ["officials"]}
    assert audience.may_have_workspace(official, ["officials"], ())
    assert audience.may_have_workspace({"name": "p", "groups": []}, [], ["p"])
    assert not audience.may_have_workspace({"name": "a", "groups": ["analysts"]}, [], ())


def test_the_home_lists_the_alerts_the_visitor_was_told_of_and_no_one_elses(portal, tmp_path):
    from hub.alerts.episodes import EpisodeStore

    store = EpisodeStore(tmp_path / "alerts.sqlite")
    titles = {"fr": "Risque de crue : station LIE-01", "en": "Flood risk: station LIE-01"}
    store.update("river_levels", "flood-risk", {"LIE-01": ({"station_code": "LIE-01"}, titles)},
                 "v1", "2026-12-01T08:00:00+00:00")
    [(notice, _, _)] = store.undelivered()
    store.record_delivery(notice, "elu-rivemont", "told", "2026-12-01T08:01:00+00:00")
    store.record_delivery(notice, "elu-bellecombe", "not-visible", "2026-12-01T08:01:00+00:00")
    portal.app.settings["alerts"] = store
    page = get(portal, "", user="elu-rivemont")
    assert "Mes alertes" in page.text and "Risque de crue : station LIE-01" in page.text
    assert "En cours depuis le 01/12/2026" in page.text
    assert "Flood risk" in get(portal, "?lang=en", user="elu-rivemont").text
    assert "Mes alertes" not in get(portal, "", user="elu-bellecombe").text
    store.update("river_levels", "flood-risk", {}, "v2", "2026-12-02T08:00:00+00:00")
    assert "Du 01/12/2026 au 02/12/2026, terminée" in get(portal, "", user="elu-rivemont").text


def test_dashboards_come_from_the_publication_store(portal, tmp_path):
    from hub.services.dashboards.publications import PublicationStore

    store = PublicationStore.in_data_dir(tmp_path)
    notebook = tmp_path / "kpi.ipynb"
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                    "cells": []}))
    store.publish(notebook, ["officials"], "analyst", title="Tableau du territoire")
    portal.app.settings["publications"] = store
    portal.app.settings["dashboards_home"] = "http://127.0.0.1:8084/agora/"  # own origin
    page = get(portal, "", user="elu-rivemont")
    assert ('<a href="http://127.0.0.1:8084/agora/services/dashboards/d/kpi/">'
            'Tableau du territoire</a>') in page.text
    assert "version 1, publiée le" in page.text and "par analyst" in page.text
    assert "Aucun tableau de bord" in get(portal, "", user="partner").text  # not shared

    class Broken:
        def visible_to(self, username, groups):
            raise OSError("store unreadable")

    portal.app.settings["publications"] = Broken()
    try:
        assert "Aucun tableau de bord" in get(portal, "", user="elu-rivemont").text
    finally:
        portal.app.settings.pop("publications")


# -- hub configuration -----------------------------------------------------------------------

def applied() -> Config:
    c = Config()
    configure.apply(c, load_settings(environ={"AGORA_SERVICES__PORTAL_PORT": "9183"}))
    return c


def test_portal_is_a_hub_managed_service_without_a_role_of_its_own():
    c = applied()
    [portal] = [s for s in c.JupyterHub.services if s["name"] == "portal"]
    assert portal["url"] == "http://127.0.0.1:9183"
    assert portal["command"] == [sys.executable, "-m", "hub.services.portal"]
    assert portal["oauth_client_allowed_scopes"] == [configure.DATASETS_ACCESS,
                                                     configure.SCHEDULER_ACCESS]
    assert not any("portal" in r.get("services", ()) for r in c.JupyterHub.load_roles)
    [user] = [r for r in c.JupyterHub.load_roles if r["name"] == "user"]
    assert {configure.PORTAL_ACCESS, configure.DATASETS_ACCESS} <= set(user["scopes"])


def test_portal_gets_no_secret():
    c = applied()
    [portal] = [s for s in c.JupyterHub.services if s["name"] == "portal"]
    env = portal["environment"]
    assert env["AGORA_SERVICES__PORTAL_PORT"] == "9183"
    assert "AGORA_PSEUDONYM_KEY" not in env and "AGORA_DATA__PSEUDONYM_KEY_ENV" not in env


def test_api_tokens_live_a_year_at_most_unless_the_settings_say_otherwise():
    assert applied().JupyterHub.token_expires_in_max_seconds == 365 * 86400
    c = Config()
    configure.apply(c, load_settings(environ={"AGORA_HUB__TOKEN_MAX_DAYS": "90"}))
    assert c.JupyterHub.token_expires_in_max_seconds == 90 * 86400


def test_examples_name_the_hubs_public_address_when_the_settings_give_it(portal):
    portal.app.settings["public_origin"] = "https://data.example.org"
    try:
        page = get(portal, "tokens", user="partner")
        dataset = get(portal, "datasets/stations", user="partner")
    finally:
        portal.app.settings.pop("public_origin")
    service = "https://data.example.org/agora/services/datasets/"
    assert f"{service}api/datasets/stations/export.geojson" == example(page, "qgis")
    assert f"{service}api/datasets/stations/export.csv" in dataset.text


def test_the_production_portal_knows_the_hubs_public_origin(tmp_path):
    from hub.services.portal.app import app_from_settings

    settings = load_settings(environ={"AGORA_HUB__DATA_DIR": str(tmp_path),
                                      "AGORA_HUB__PUBLIC_URL": "https://data.example.org/"})
    assert app_from_settings(settings, {}).settings["public_origin"] == "https://data.example.org"
