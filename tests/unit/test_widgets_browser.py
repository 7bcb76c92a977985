"""DatasetBrowser: search by words (accents and case ignored), theme and keywords; a dataset's
metadata, code and data; readable messages when nothing matches or the service fails."""

import pandas as pd
import pytest

import widgets as w
from widgets import render

from .widgets_fakes import (
    BUDGET,
    CATALOG,
    check_static,
    default_mode_and_locale,  # noqa: F401 (autouse)
)


@pytest.fixture
def catalog_source(fake_source):
    fake_source.datasets.update(CATALOG)
    return fake_source


def ids(found):
    return [m["id"] for m in found]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["air_quality", "budget", "waste_bins"]),   # sorted by title: Air, Dépenses, Points
    ("DEPENSES", ["budget"]),                         # title, accents and case ignored
    ("particules", ["air_quality"]),                  # description
    ("déchets", ["waste_bins"]),                      # keyword
    ("spent_on", ["budget"]),                         # a column name
    ("air pollution", ["air_quality"]),               # every word must match
    ("air budget", []),
])
def test_free_text_searches_titles_descriptions_keywords_and_columns(catalog_source, text,
                                                                     expected):
    assert ids(w.DatasetBrowser().search(text)) == expected


def test_theme_and_keyword_menus_come_from_the_catalog_and_narrow_the_search(catalog_source):
    browser = w.DatasetBrowser()
    assert browser.themes() == ["ECON", "ENVI"]
    assert "PM10" in browser.all_keywords() and "déchets" in browser.all_keywords()
    assert ids(browser.search(theme="ENVI")) == ["air_quality", "waste_bins"]
    assert ids(browser.search(theme="ENVI", keywords=["pm10"])) == ["air_quality"]
    assert ids(browser.search("conteneurs", theme="ECON")) == []


def test_the_catalog_is_read_through_the_source_once(catalog_source):
    browser = w.DatasetBrowser()
    browser.search("air")
    browser.search("budget")
    assert [fn for fn, *_ in catalog_source.calls].count("listing") == 1
    assert {d for fn, d, _ in catalog_source.calls if fn == "describe"} == set(CATALOG)
    assert browser.metadata("budget")["update_frequency"] == "monthly"  # from describe()


def test_a_selected_dataset_shows_its_metadata_badges_and_code(catalog_source):
    browser = w.DatasetBrowser(locale="fr")
    browser.select("air_quality")
    html = browser.static_html()
    check_static(html)
    for shown in ("Relevés horaires des capteurs de particules.", "etalab-2.0",
                  "quotidienne",  # update_frequency: daily
                  "À vérifier", "En retard",  # quality and freshness badges
                  "pseudonymisée (comptage seulement)", "<code>pm10</code>", ">nombre<",
                  'catalog()[&quot;air_quality&quot;].read()'):
        assert shown in html, shown
    assert "Lignes" in html and ">5<" in html  # the row count


def test_the_code_is_valid_python_and_load_gives_the_dataframe(catalog_source):
    browser = w.DatasetBrowser()
    browser.select("budget")
    assert browser.code() == 'from widgets import catalog\ndf = catalog()["budget"].read()'
    compile(browser.code(), "<cell>", "exec")
    frame = browser.load()
    pd.testing.assert_frame_equal(frame, BUDGET)
    assert browser.dataframe is frame and browser.selected == "budget"
    assert [c[1] for c in catalog_source.calls if c[0] == "read"] == ["budget"]
    assert "5 lignes" in browser.message


def test_no_match_and_an_empty_catalog_say_so(catalog_source):
    browser = w.DatasetBrowser(locale="fr")
    browser.search("zzz introuvable")
    assert "Aucun jeu de données ne correspond" in browser.static_html()
    assert "No dataset is open to you" in w.DatasetBrowser([], locale="en").static_html()


def test_service_errors_are_messages_not_tracebacks(catalog_source):
    catalog_source.error = RuntimeError("503 the datasets service is unavailable")
    browser = w.DatasetBrowser(locale="en")
    html = browser.static_html()
    check_static(html)
    assert "The catalog could not be read: 503 the datasets service" in html
    browser.interactive()  # builds without raising
    catalog_source.error = None
    browser.refresh()
    assert len(browser.results()) == 3


def test_a_failed_load_keeps_the_browser_usable(catalog_source):
    browser = w.DatasetBrowser(locale="en")
    browser.select("air_quality")
    catalog_source.error = RuntimeError("403 your token was refused")
    assert browser.load() is None
    assert browser.message == "The data could not be read: 403 your token was refused"


def test_selecting_an_unknown_dataset_is_refused(catalog_source):
    with pytest.raises(KeyError):
        w.DatasetBrowser().select("nope")


def test_interactive_search_details_code_and_data(catalog_source):
    browser = w.DatasetBrowser(locale="en")
    browser.widget()
    ui = browser.ui
    assert len(ui.results.children) == 3 and "3 dataset(s)" in ui.status.value
    ui.words.value = "ecole"  # no accent typed: "écoles" is a value, not a keyword
    assert ui.results.children == () and "No dataset matches" in ui.status.value
    ui.words.value = ""
    ui.theme.value = "ECON"
    assert len(ui.results.children) == 1
    ui.results.children[0].children[1].click()  # "Details"
    assert browser.selected == "budget" and "Mandats payés" in ui.details.value
    ui.show_code.click()
    assert ui.code.value == browser.code() and ui.code.layout.display is None
    ui.load.click()
    pd.testing.assert_frame_equal(browser.dataframe, BUDGET)
    assert len(ui.data.children) == 1 and "5 rows" in ui.message.value


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_static_mode_renders_html_without_script(catalog_source, locale):
    w.set_locale(locale)
    browser = w.DatasetBrowser()
    browser.select("waste_bins")
    render.set_mode("static")
    bundle = browser._repr_mimebundle_()
    check_static(bundle["text/html"])
    assert "Points d'apport volontaire" in bundle["text/html"].replace("&#x27;", "'")
    assert bundle["text/plain"].endswith("3 jeu(x) de données" if locale == "fr"
                                         else "3 dataset(s)")


def test_browser_of_given_metadata_needs_no_service():
    browser = w.DatasetBrowser([{"id": "a", "title": "Écoles", "columns": [
        {"name": "effectif", "type": "int64", "rule": None}]}])
    assert ids(browser.search("EFFECTIF")) == ["a"]
