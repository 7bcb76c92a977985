"""Messages a steward can act on (issue #16), through the real `agora` entry point, with real
recipe files, the real connectors and processors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.cli.main import main

HEADER = "title: Communes\ndescription: Population per commune.\n"
CSV_SOURCE = "source:\n  connector: csv\n  path: communes.csv\n"


class Workspace:
    """A settings file whose catalog, sources and store are folders of tmp_path."""

    def __init__(self, root: Path):
        self.root = root
        self.catalog, self.sources = root / "catalogs", root / "sources"
        self.catalog.mkdir()
        self.sources.mkdir()
        self.settings = root / "workspace.yaml"
        self.settings.write_text(
            f"hub:\n  data_dir: {root / 'data'}\n"
            f"data:\n  catalog_dir: {self.catalog}\n  sources_dir: {self.sources}\n"
            f"  store_dir: {root / 'store'}\n")

    def recipe(self, name: str, text: str) -> Path:
        path = self.catalog / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def source(self, name: str, text: str) -> Path:
        path = self.sources / name
        path.write_text(text, encoding="utf-8")
        return path

    def agora(self, *args: str) -> int:
        return main(["-c", str(self.settings), *args])


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def steps(*lines: str) -> str:
    return "processors:\n" + "".join(f"  - {line}\n" for line in lines)


# -- one numbering for steps -------------------------------------------------------------

def test_check_and_refresh_name_a_step_the_same_way(ws, capsys):
    ws.source("communes.csv", "COM;pop\n01001;12\n")
    ws.recipe("communes", HEADER + CSV_SOURCE + steps("rename: {columns: {COM: code}}",
                                                     "parse_numbers: {columns: [pop], "
                                                     "decimal: x}"))
    assert ws.agora("check") == 2
    assert ": step 2 (parse_numbers).decimal: " in capsys.readouterr().err
    ws.recipe("communes", HEADER + CSV_SOURCE + steps("rename: {columns: {COM: code}}",
                                                     "deduplicate: {subset: [COM]}"))
    assert ws.agora("refresh") == 1
    out = capsys.readouterr().out
    assert "step 2 (deduplicate): deduplicate: column 'COM' not found" in out


# -- a recipe file name the id rule refuses ----------------------------------------------

@pytest.mark.parametrize("stem", ["t", "T", "my-data", "2013", "Qualité air", "-_-", "é",
                                  "a" * 70 + "-b", "x" + "_" * 61 + "-y"])
def test_a_refused_file_name_gets_a_name_that_passes(ws, capsys, stem):
    from hub.pipeline.recipe import DATASET_ID

    ws.source("communes.csv", "code;pop\n01001;12\n")
    bad = ws.recipe(stem, HEADER + CSV_SOURCE)
    assert ws.agora("check") == 2
    err = capsys.readouterr().err
    assert f"dataset id {stem!r} (the file name) is not valid" in err
    suggested = err.split("rename the file to e.g. ", 1)[1].split(".yaml:", 1)[0]
    assert DATASET_ID.match(suggested) and suggested != stem
    bad.rename(bad.with_name(f"{suggested}.yaml"))
    assert ws.agora("check") == 0


# -- YAML 1.1 traps ------------------------------------------------------------------------

def test_yaml_booleans_and_numbers_where_text_is_expected_say_quote_it(ws, capsys):
    ws.source("communes.csv", "code;pop\n01001;12\n")
    ws.recipe("other", HEADER + CSV_SOURCE)
    file = ws.recipe("communes", "title: 2013\ndescription: x\n" + CSV_SOURCE + steps(
        "join: {dataset: other, on: [code]}",
        "normalise_text: {columns: [code], mapping: {01: Ain}}",
        "validate: {columns: {code: {allowed: [01001]}}}",
        "select: {columns: [code, no]}",
        "normalise_text: {columns: [code], case: off}"))
    assert ws.agora("check") == 2
    err = capsys.readouterr().err.splitlines()
    assert f'{file}:1: title: Input should be a valid string -> YAML reads 2013 as a number: ' \
           'quote it: "2013"' in err
    assert f'{file}:7: step 1 (join).on: Keys should be strings -> YAML reads on as true: ' \
           'quote it: "on"' in err
    assert f'{file}:8: step 2 (normalise_text).mapping.01: Input should be a valid string -> ' \
           'YAML reads 01 as the number 1: quote it: "01"' in err
    assert f'{file}:9: step 3 (validate).columns.code.allowed.0: a number written with a ' \
           'leading zero -> YAML reads 01001 as the number 513: quote it: "01001"' in err
    assert f'{file}:10: step 4 (select).columns.1: Input should be a valid string -> YAML ' \
           'reads no as false: quote it: "no"' in err
    [case] = [line for line in err if "step 5 (normalise_text).case" in line]
    assert "quote it" not in case and "use one of: lower, none, title, title_fr, upper" in case


# -- agora status never cuts the useful part of an error ---------------------------------

def test_status_of_a_dataset_shows_its_whole_record_and_error(ws, capsys):
    ws.source("communes.csv", "code;pop\n01001;12\n01002;7\n")
    ws.recipe("communes", HEADER + CSV_SOURCE)
    assert ws.agora("refresh") == 0
    long_name = "population_municipale_au_premier_janvier_" * 2
    ws.recipe("communes", HEADER + CSV_SOURCE + steps(f"select: {{columns: [{long_name}]}}"))
    assert ws.agora("refresh") == 1
    assert "`agora status communes` shows the whole error" in capsys.readouterr().err
    assert ws.agora("status") == 0
    table = capsys.readouterr().out
    assert "(available: code, pop)" not in table  # the table cuts it...
    assert "errors cut short: `agora status communes` shows them whole" in table
    assert ws.agora("status", "communes") == 0
    record = capsys.readouterr().out
    lines = record.splitlines()
    assert lines[0] == "communes" and lines.pop(1) == "  served           yes"
    assert lines[1].startswith("  current version  ") and ", 2 rows, made " in lines[1]
    assert lines[2].startswith("  last attempt     ") and ": failed after " in lines[2]
    assert lines[3].startswith("  last success     ") and ": new, version " in lines[3]
    assert lines[4].startswith("  last error       ")
    message = " ".join(line.strip() for line in lines[5:])
    assert message == (f"step 1 (select): select: column {long_name!r} not found "
                       "(available: code, pop)")
    assert all(len(line) <= 88 for line in lines[5:]) and len(lines) > 6  # wrapped


def test_status_of_an_unknown_dataset_suggests_the_close_one(ws, capsys):
    ws.source("communes.csv", "code;pop\n01001;12\n")
    ws.recipe("communes", HEADER + CSV_SOURCE)
    assert ws.agora("status", "comunes") == 2
    assert "unknown dataset 'comunes': did you mean 'communes'?" in capsys.readouterr().err
    assert ws.agora("status", "communes") == 0
    assert "current version  none (never refreshed successfully)" in capsys.readouterr().out


# -- agora refresh before the first agora up ---------------------------------------------

def demo_settings(tmp_path, extra: str = "") -> list[str]:
    """The checkout's demo catalog (data.catalog_dir unset), everything else in tmp_path."""
    path = tmp_path / "workspace.yaml"
    path.write_text(f"hub:\n  data_dir: {tmp_path / 'data'}\n{extra}")
    return ["-c", str(path)]


def test_refresh_before_the_first_up_writes_the_demo_sources_once(tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.delenv("AGORA_PSEUDONYM_KEY", raising=False)
    assert main([*demo_settings(tmp_path), "refresh", "communes"]) == 0
    out = capsys.readouterr().out
    assert out.count("Demo data: no sources in ") == 1
    assert "`agora up` writes them at its first start" in out
    assert (tmp_path / "data" / "sources" / "demo_manifest.json").exists()
    assert main([*demo_settings(tmp_path), "refresh", "communes"]) == 0  # not written again
    assert "Demo data" not in capsys.readouterr().out
    assert main([*demo_settings(tmp_path), "check"]) == 0  # the demo CSVs: no false alarm
    assert warnings(capsys.readouterr().out) == []


def test_without_demo_data_the_missing_demo_sources_are_said_once(tmp_path, capsys):
    args = demo_settings(tmp_path, "data:\n  demo_data: false\n")
    assert main([*args, "refresh", "communes", "communes_lambert93"]) == 1
    err = capsys.readouterr().err
    assert err.count("their synthetic sources are not in") == 1
    assert "2 demo dataset(s) failed" in err and "python -m hub.demo_data --out" in err
    assert not (tmp_path / "data" / "sources").exists()


# -- agora check knows the columns a step will see ---------------------------------------

def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("warning: ")]


def test_check_warns_of_a_source_column_that_is_not_in_the_csv_header(ws, capsys):
    ws.source("communes.csv", "COM;Libellé;pop\n01001;Ain;12\n")
    file = ws.recipe("communes", HEADER + CSV_SOURCE + steps(
        "rename: {columns: {COMM: code, Libellé: nom}}"))
    assert ws.agora("check") == 0  # a warning: the data may still change before a refresh
    assert warnings(capsys.readouterr().out) == [
        f"warning: {file}:7: step 1 (rename).columns.COMM: no column 'COMM' at this step -> "
        "did you mean 'COM'? the source's columns: COM, Libellé, pop (from the header of "
        "communes.csv)"]


def test_check_follows_the_columns_through_the_steps(ws, capsys):
    ws.source("communes.csv", "COM;pop;x;y\n01001;12;2.1;45.3\n")
    file = ws.recipe("communes", HEADER + CSV_SOURCE + steps(
        "rename: {columns: {COM: code}}",
        "parse_numbers: {columns: [pop, x, y]}",
        "derive: {column: pop_k, expression: pop / 1000}",
        "geo_points: {lon: x, lat: y, drop_source: true}",
        "validate: {columns: {code: {required: true}, pop_k: {min: 0}, geometry: {}}}",
        "anonymise: {drop: [pop]}",
        "select: {columns: [code, pop_k, geometry]}",
        "deduplicate: {subset: [COM]}"))
    assert ws.agora("check") == 0
    [warning] = warnings(capsys.readouterr().out)  # none for what the steps made
    assert warning.startswith(f"warning: {file}:14: step 8 (deduplicate).subset.0: no column "
                              "'COM' at this step -> the columns after step 7 (select): code, "
                              "pop_k, geometry (from the header of communes.csv)")


def test_a_step_with_an_unknown_effect_ends_the_column_check(ws, capsys):
    ws.source("communes.csv", "code;pop\n01001;12\n")
    ws.recipe("other", HEADER + CSV_SOURCE)
    ws.recipe("communes", HEADER + CSV_SOURCE + steps("join: {dataset: other, \"on\": [code]}",
                                                     "parse_numbers: {columns: [surface]}"))
    assert ws.agora("check") == 0
    assert warnings(capsys.readouterr().out) == []  # `surface` may come from `other`
    ws.recipe("communes", HEADER + CSV_SOURCE + steps(
        "join: {dataset: other, \"on\": [code], columns: [pop], prefix: other_}",
        "parse_numbers: {columns: [other_pop, surface]}"))
    assert ws.agora("check") == 0
    [warning] = warnings(capsys.readouterr().out)
    assert "step 2 (parse_numbers).columns.1: no column 'surface'" in warning


JSON_SOURCE = "source:\n  connector: json\n  path: communes.json\n"


def test_without_a_header_the_columns_the_last_refresh_read_are_used(ws, capsys):
    ws.source("communes.json", '[{"code": "01001", "population": "12"}]')
    ws.recipe("communes", HEADER + JSON_SOURCE)
    assert ws.agora("check") == 0
    assert warnings(capsys.readouterr().out) == []  # not known before a refresh
    assert ws.agora("refresh") == 0
    capsys.readouterr()
    file = ws.recipe("communes", HEADER + JSON_SOURCE + steps(
        "parse_numbers: {columns: [populaton]}"))
    assert ws.agora("check") == 0
    [warning] = warnings(capsys.readouterr().out)
    assert warning.startswith(f"warning: {file}:7: step 1 (parse_numbers).columns.0: no column "
                              "'populaton' at this step -> did you mean 'population'? the "
                              "source's columns: code, population (from the source read for "
                              "version ")
    ws.recipe("communes", HEADER + JSON_SOURCE + "  records_path: data\n" + steps(
        "parse_numbers: {columns: [populaton]}"))
    assert ws.agora("check") == 0
    assert warnings(capsys.readouterr().out) == []  # another source: its columns are not known


def test_refresh_suggests_the_closest_column_too(ws, capsys):
    ws.source("communes.csv", "code;population\n01001;12\n")
    ws.recipe("communes", HEADER + CSV_SOURCE + steps("parse_numbers: {columns: [populaton]}"))
    assert ws.agora("refresh") == 1
    assert ("step 1 (parse_numbers): parse_numbers: column 'populaton' not found (available: "
            "code, population); did you mean 'population'?") in capsys.readouterr().out


def test_the_column_flows_name_registered_processors_only():
    from hub.pipeline import registry
    from hub.pipeline.column_flow import FLOWS

    assert set(FLOWS) <= set(registry.processors())
