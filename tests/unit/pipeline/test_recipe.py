"""Recipes: a good one loads typed; every bad one names file, line, key and a fix."""

import pytest

from hub.config.problems import ConfigProblems
from hub.pipeline.deps import UnknownDataset, refresh_order
from hub.pipeline.recipe import load_catalog

FULL = """\
title: Air quality
description: Hourly readings.
theme: ENVI
keywords: [air, pm10]
publisher: Val-de-Lière
licence: etalab-2.0
contact: {name: Data team, email: donnees@example.org}
update_frequency: hourly
spatial: 30 communes
synthetic: true
source:
  connector: test_lines
  path: air.csv
processors:
  - test_keep_below: {column: value, below: 100}
schedule: "0 * * * *"
refresh:
  max_dropped_fraction: 0.2
  retain_versions: 2
access:
  groups: [analysts]
"""


def problems(workspace) -> list[str]:
    with pytest.raises(ConfigProblems) as info:
        workspace.load()
    return [str(p) for p in info.value.problems]


def test_a_complete_recipe_loads_typed(workspace):
    (workspace.catalog / "air.yaml").write_text(FULL)
    air = workspace.load()["air"]
    assert air.metadata.title == "Air quality" and air.metadata.synthetic
    assert air.metadata.frequency_uri.endswith("/frequency/HOURLY")
    assert air.source.connector == "test_lines" and air.source.params.path == "air.csv"
    assert air.processors[0].processor == "test_keep_below"
    assert air.processors[0].params.below == 100
    assert air.refresh.max_dropped_fraction == 0.2 and air.refresh.timeout_seconds == 600
    assert air.access.groups == ["analysts"] and air.access.users == []
    assert air.cron.minutes == {0}


def test_recipe_hash_follows_source_and_processors_not_metadata(workspace):
    file = workspace.catalog / "air.yaml"
    file.write_text(FULL)
    first = workspace.load()["air"].hash
    file.write_text(FULL.replace("Air quality", "Air"))
    assert workspace.load()["air"].hash == first
    file.write_text(FULL.replace("below: 100", "below: 99"))
    assert workspace.load()["air"].hash != first


def test_access_defaults_to_nobody(workspace):
    workspace.recipe("air")
    access = workspace.load()["air"].access
    assert access.groups == [] and access.users == [] and access.rows == []


def test_unknown_top_level_key_suggests_the_close_one(workspace):
    file = workspace.recipe("air", extra="titel: typo")
    assert problems(workspace) == [
        f"{file}:8: titel: unknown key -> remove it; did you mean 'title'? use one of: access, "
        "alerts, column_docs, contact, description, keywords, licence, processors, publisher, refresh, "
        "schedule, source, spatial, synthetic, theme, title, update_frequency"]


def test_unknown_processor_suggests_the_close_one(workspace):
    file = workspace.recipe("air", steps="  - test_keep_belo: {column: value, below: 1}")
    assert problems(workspace) == [
        f"{file}:7: step 1 (test_keep_belo): unknown processor 'test_keep_belo' -> "
        "did you mean 'test_keep_below'? use one of: test_crash, test_join, test_keep_below, "
        "test_nested, test_sleep"]


def test_bad_processor_param_names_the_param_line(workspace):
    file = workspace.recipe("air", steps="  - test_keep_below:\n      column: value\n"
                                         "      below: lots")
    [problem] = problems(workspace)
    assert problem.startswith(f"{file}:9: step 1 (test_keep_below).below: Input should be "
                              "a valid number")
    assert problem.endswith("-> expected: float")


def test_missing_and_unknown_processor_params(workspace):
    file = workspace.recipe("air", steps="  - test_keep_below: {column: value, belw: 3}")
    assert problems(workspace) == [
        f"{file}:7: step 1 (test_keep_below).below: missing required key -> add it",
        f"{file}:7: step 1 (test_keep_below).belw: unknown key -> remove it; did you mean "
        "'below'? use one of: below, column"]


def test_a_step_must_be_a_one_key_mapping(workspace):
    file = workspace.recipe("air", steps="  - test_crash\n  - {test_crash: {}, test_sleep: {}}")
    assert problems(workspace) == [
        f"{file}:7: step 1: a step must be a one-key mapping -> write it as "
        "`- processor_name: {param: value}`",
        f"{file}:8: step 2: a step must be a one-key mapping -> write it as "
        "`- processor_name: {param: value}`"]


def test_bad_cron_schedule(workspace):
    file = workspace.recipe("air", extra='schedule: "0 25 * * *"')
    [problem] = problems(workspace)
    assert problem.startswith(f"{file}:8: schedule: hour: '25' is not a number from 0 to 23 "
                              "-> expected: cron with 5 fields")


def test_bad_dataset_id_from_the_file_name(workspace):
    workspace.recipe("Air-Quality")
    assert problems(workspace) == [
        f"{workspace.catalog / 'Air-Quality.yaml'}: (top level): dataset id 'Air-Quality' (the "
        "file name) is not valid -> rename the file to e.g. air_quality.yaml: lower case "
        "letters, digits and _, starting with a letter, 2 to 63 characters"]


def test_invalid_yaml_names_the_line(workspace):
    file = workspace.catalog / "air.yaml"
    file.write_text("title: x\ndescription: y\nsource: [unclosed\n")
    [problem] = problems(workspace)
    assert problem.startswith(f"{file}:4: (top level): not valid YAML") or \
        problem.startswith(f"{file}:3: (top level): not valid YAML")
    assert problem.endswith("-> fix the YAML syntax (indentation, quotes, colons)")


def test_source_problems(workspace):
    file = workspace.recipe("air")
    file.write_text(file.read_text().replace("test_lines", "test_line"))
    workspace.recipe("water", extra="")
    water = workspace.catalog / "water.yaml"
    water.write_text(water.read_text().replace("  path: water.csv", "  pth: water.csv"))
    assert problems(workspace) == [
        f"{file}:4: source.connector: unknown connector 'test_line' -> did you mean "
        "'test_lines'? use one of: test_lines",
        f"{water}:3: source.path: missing required key -> add it",
        f"{water}:5: source.pth: unknown key -> remove it; did you mean 'path'? use one of: "
        "allow_empty, path"]


def test_metadata_problems_with_fixes(workspace):
    file = workspace.recipe("air", extra="update_frequency: hourli\n"
                                         "contact: {name: x, email: not-an-email}\n"
                                         "access:\n  groups: [a]\n  rowz: []")
    found = problems(workspace)
    assert found[0].startswith(f"{file}:8: update_frequency: Input should be")
    assert "-> did you mean 'hourly'?" in found[0]
    assert found[1].startswith(f"{file}:9: contact.email: String should match pattern")
    assert found[2].startswith(f"{file}:12: access.rowz: unknown key -> remove it; "
                               "did you mean 'rows'?")


def test_missing_required_metadata(workspace):
    file = workspace.catalog / "air.yaml"
    file.write_text("source: {connector: test_lines, path: a.csv}\n")
    assert problems(workspace) == [
        f"{file}: title: missing required key -> add it (Title shown in catalogs and "
        "dashboards.)",
        f"{file}: description: missing required key -> add it (What the data is (Markdown).)"]


def test_problems_of_every_file_are_collected_and_nothing_loads(workspace):
    workspace.recipe("good")
    workspace.recipe("bad_one", extra="titel: x")
    workspace.recipe("bad_two", steps="  - nope: {}")
    found = problems(workspace)
    assert len(found) == 2
    assert "bad_one.yaml:8: titel" in found[0] and "bad_two.yaml:7: step 1 (nope)" in found[1]


def test_yml_files_are_reported_and_reserved_files_skipped(workspace):
    (workspace.catalog / "air.yml").write_text("title: x\n")
    (workspace.catalog / "_groups.yaml").write_text("anything: goes\n")
    (workspace.catalog / "README.md").write_text("notes\n")
    assert problems(workspace) == [
        f"{workspace.catalog / 'air.yml'}: (top level): recipe files end in .yaml -> "
        "rename it to air.yaml"]


def test_missing_catalog_folder(tmp_path, fakes):
    with pytest.raises(ConfigProblems) as info:
        load_catalog(tmp_path / "nope")
    assert "catalog folder not found -> create it, or set data.catalog_dir" in str(info.value)


def test_join_to_an_unknown_dataset(workspace):
    file = workspace.recipe("air", steps="  - test_join: {dataset: wether}")
    workspace.recipe("weather")
    assert problems(workspace) == [
        f"{file}:7: step 1 (test_join).dataset: unknown dataset 'wether' -> did you mean "
        "'weather'? use one of: air, weather"]


def test_a_dataset_named_in_a_nested_param_is_a_dependency(workspace):
    file = workspace.recipe("air", steps="  - test_nested:\n      within:\n"
                                         "        dataset: comunes")
    workspace.recipe("communes")
    assert problems(workspace) == [
        f"{file}:9: step 1 (test_nested).within.dataset: unknown dataset 'comunes' -> "
        "did you mean 'communes'? use one of: air, communes"]
    file.write_text(file.read_text().replace("comunes", "communes"))
    recipes = workspace.load()
    assert recipes["air"].dependencies == ("communes",)
    assert refresh_order(recipes) == ["communes", "air"]


def test_dependency_cycles_are_recipe_problems(workspace):
    a = workspace.recipe("aa", steps="  - test_join: {dataset: bb}")
    b = workspace.recipe("bb", steps="  - test_join: {dataset: aa}")
    c = workspace.recipe("cc", steps="  - test_join: {dataset: cc}")
    found = problems(workspace)
    assert len(found) == 3
    assert any(p.startswith(f"{a}:7: step 1 (test_join).dataset: dependency cycle: ")
               for p in found)
    assert any(p.startswith(f"{b}:7: step 1 (test_join).dataset: dependency cycle: ")
               for p in found)
    assert f"{c}:7: step 1 (test_join).dataset: dependency cycle: cc -> cc -> a dataset " \
           "cannot (indirectly) join itself; remove one of these join steps" in found


def test_refresh_order_puts_dependencies_first(workspace):
    workspace.recipe("report", steps="  - test_join: {dataset: zones}\n"
                                      "  - test_join: {dataset: people}")
    workspace.recipe("people", steps="  - test_join: {dataset: zones}")
    workspace.recipe("zones")
    workspace.recipe("other")
    recipes = workspace.load()
    assert recipes["report"].dependencies == ("zones", "people")
    order = refresh_order(recipes)
    assert order.index("zones") < order.index("people") < order.index("report")
    assert refresh_order(recipes, ["people"]) == ["zones", "people"]
    with pytest.raises(UnknownDataset, match="did you mean 'people'"):
        refresh_order(recipes, ["peple"])


def test_a_source_may_not_read_the_hubs_own_variables(tmp_path):
    """A recipe author could otherwise send the hub's keys to a server of theirs as a
    database URL or an API key (and the refresh scheduler would hand them over)."""
    from hub.pipeline.recipe import load_recipe

    recipe = tmp_path / "payroll.yaml"
    recipe.write_text(
        "title: Payroll\ndescription: d\nlicence: etalab-2.0\n"
        "source:\n  connector: sql\n  url_env: JUPYTERHUB_CRYPT_KEY\n  table: staff\n"
        "processors:\n  - anonymise:\n      pseudonymise: [name]\n"
        "      key_env: AGORA_AUTH__OIDC__CLIENT_SECRET\n")
    with pytest.raises(ConfigProblems) as info:
        load_recipe(recipe)
    assert [str(p) for p in info.value.problems] == [
        f"{recipe}:6: source.url_env: JUPYTERHUB_CRYPT_KEY is a variable of the hub itself, "
        "not a source secret -> put the secret in a variable of its own, e.g. PAYROLL_URL",
        f"{recipe}:11: step 1 (anonymise).key_env: AGORA_AUTH__OIDC__CLIENT_SECRET is a "
        "variable of the hub itself, not a source secret -> put the secret in a variable of "
        "its own, e.g. PAYROLL_KEY"]
    recipe.write_text(recipe.read_text().replace("JUPYTERHUB_CRYPT_KEY", "PAYROLL_DB")
                      .replace("AGORA_AUTH__OIDC__CLIENT_SECRET", "AGORA_PSEUDONYM_KEY"))
    assert load_recipe(recipe).environment_names == ("PAYROLL_DB", "AGORA_PSEUDONYM_KEY")


def test_a_recipe_cache_parses_only_the_files_that_changed(workspace, monkeypatch):
    from hub.pipeline import recipe as recipe_module
    from hub.pipeline.recipe import RecipeCache

    air, water = workspace.recipe("air"), workspace.recipe("water")
    parsed = []
    real = recipe_module.load_recipe
    monkeypatch.setattr(recipe_module, "load_recipe", lambda path: parsed.append(path.name)
                        or real(path))
    cache = RecipeCache()
    first = load_catalog(workspace.catalog, cache)
    assert sorted(parsed) == ["air.yaml", "water.yaml"]
    assert load_catalog(workspace.catalog, cache) == first and len(parsed) == 2
    water.write_text(water.read_text().replace("title: ", "title: Eau "))
    assert load_catalog(workspace.catalog, cache)["water"].metadata.title.startswith("Eau ")
    assert parsed[2:] == ["water.yaml"]
    # a file broken after being cached is reported, and nothing loads (fail closed)
    air.write_text(air.read_text().replace("test_lines", "test_line"))
    with pytest.raises(ConfigProblems, match="unknown connector 'test_line'"):
        load_catalog(workspace.catalog, cache)
    air.unlink()
    assert list(load_catalog(workspace.catalog, cache)) == ["water"]


def test_column_docs_take_a_text_or_french_and_english(workspace):
    workspace.recipe("air", extra="column_docs:\n  value: {title: {fr: Valeur, en: Value}, "
                     "unit: µg/m³}\n  id: {title: Identifiant}")
    docs = workspace.load()["air"].metadata.column_docs
    assert docs["value"].title == {"fr": "Valeur", "en": "Value"} and docs["value"].unit == "µg/m³"
    assert docs["id"].title == "Identifiant"


def test_a_column_doc_in_another_language_says_how_to_write_it(workspace):
    file = workspace.recipe("air", extra="column_docs:\n  value: {title: {de: Wert}}")
    assert problems(workspace) == [
        f"{file}:9: column_docs.value.title: write a text, or "
        "{fr: <French>, en: <English>}"]


def test_read_catalog_leaves_out_each_broken_recipe_and_keeps_the_others(workspace):
    from hub.pipeline.recipe import read_catalog

    workspace.recipe("good")
    workspace.recipe("typo", extra="titel: x")
    workspace.recipe("orphan", steps="  - test_join: {dataset: nowhere}")
    workspace.recipe("aa", steps="  - test_join: {dataset: bb}")
    workspace.recipe("bb", steps="  - test_join: {dataset: aa}")
    workspace.recipe("reader", steps="  - test_join: {dataset: typo}")  # joins a broken one
    (workspace.catalog / "old.yml").write_text("title: x\n")
    catalog = read_catalog(workspace.catalog)
    assert sorted(catalog.recipes) == ["good", "reader"]
    assert sorted(catalog.broken) == ["aa", "bb", "old", "orphan", "typo"]
    assert "unknown dataset 'nowhere'" in str(catalog.broken["orphan"][0])
    assert "titel: unknown key" in str(catalog.broken["typo"][0])
    assert [str(p) for p in catalog.problems] == problems(workspace)  # the strict form's
    assert catalog.problems_of(["typo", "good"]) == catalog.broken["typo"]
    with pytest.raises(ConfigProblems):
        read_catalog(workspace.root / "nope")  # no folder: nothing at all
