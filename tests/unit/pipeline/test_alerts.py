"""Alert rules judged after real refreshes (CSV source, snapshot store, DuckDB; episodes in
SQLite and in PostgreSQL: `state_url`).

A station above its alert level raises ONE episode over three refreshes (new readings each
time, still above), which closes when the level falls back and opens anew when it rises
again; a refresh that fails or a rule naming a wrong column never breaks the refresh.
"""

import pytest

from hub.alerts.episodes import EpisodeStore
from hub.alerts.evaluate import RuleError, active_rows
from hub.config.problems import ConfigProblems
from hub.pipeline.recipe import load_recipe
from hub.pipeline.refresh import RefreshEnv, refresh_dataset
from hub.pipeline.store import SnapshotStore

RECIPE = """\
title: Levels
description: River levels
licence: etalab-2.0
source: {connector: csv, path: levels.csv}
processors:
  - parse_numbers: {columns: [level_m, alert_m]}
alerts:
  - name: flood-risk
    title: {fr: "Crue : {station} ({level_m} m)", en: "Flood: {station} ({level_m} m)"}
    per: station
    latest_by: measured_at
    when: {column: level_m, above_column: alert_m}
    recipients: {groups: [officials]}
  - name: very-high
    title: "Very high: {station}"
    per: station
    when: {column: level_m, at_least: 5}
    recipients: {users: [risk-manager]}
"""


@pytest.fixture
def river(tmp_path, state_url):
    (tmp_path / "sources").mkdir()
    path = tmp_path / "levels.yaml"
    path.write_text(RECIPE)
    env = RefreshEnv(SnapshotStore(tmp_path / "store"), tmp_path / "sources", environ={},
                     alerts=EpisodeStore(tmp_path / "alerts.sqlite", state_url))

    def refresh(*readings):
        """One refresh whose source holds `readings`: (station, hour, level, alert level)."""
        lines = ["station,measured_at,level_m,alert_m"] + [
            f"{s},2026-12-01T{h:02d}:00:00Z,{level},{alert}" for s, h, level, alert in readings]
        (tmp_path / "sources" / "levels.csv").write_text("\n".join(lines) + "\n")
        return refresh_dataset(load_recipe(path), env)

    refresh.env = env
    return refresh


def test_an_episode_is_raised_once_over_three_refreshes_and_again_after_it_clears(river):
    episodes = river.env.alerts
    for hour in (1, 2, 3):  # A above its alert level at each refresh (new readings)
        result = river(("A", hour, 3.0 + hour / 10, 2.5), ("B", hour, 1.0, 2.5))
        assert result.result == "new"
    [first] = episodes.episodes("levels", "flood-risk")
    assert (first.key, first.closed_at, first.row["level_m"]) == ("A", None, 3.1)
    assert first.title == {"fr": "Crue : A (3,1 m)", "en": "Flood: A (3.1 m)"}
    assert [kind for _, kind, _ in episodes.undelivered()] == ["opened"]  # once

    river(("A", 1, 3.1, 2.5), ("A", 4, 2.0, 2.5), ("B", 4, 1.0, 2.5))  # latest: below
    [closed] = episodes.episodes("levels", "flood-risk")
    assert closed.closed_at is not None
    river(("A", 5, 2.9, 2.5), ("B", 5, 1.0, 2.5))  # and back above: a new episode
    again = episodes.episodes("levels", "flood-risk")
    assert [(e.key, e.closed_at is None) for e in again] == [("A", False), ("A", True)]
    assert [kind for _, kind, _ in episodes.undelivered()] == ["opened", "closed", "opened"]


def test_without_latest_by_any_matching_row_raises_and_the_title_fills_in(river):
    river(("A", 1, 5.2, 9), ("A", 2, 1.0, 9), ("B", 1, 4.9, 9))
    [e] = river.env.alerts.episodes("levels", "very-high")
    assert e.key == "A" and e.row["level_m"] == 5.2
    rule = load_recipe_rules(river)["very-high"]
    assert rule.title_for(e.row, "fr") == "Very high: A"
    flood = load_recipe_rules(river)["flood-risk"]
    assert flood.title_for({"station": "A", "level_m": 3.1}, "en") == "Flood: A (3.1 m)"
    assert flood.title_for({"station": "A", "level_m": 3.0}, "fr") == "Crue : A (3 m)"
    assert flood.title_for({"station": "A", "level_m": 3.14159}, "fr") == "Crue : A (3,14 m)"


def load_recipe_rules(river):
    from pathlib import Path

    path = Path(river.env.sources_dir).parent / "levels.yaml"
    return {r.name: r for r in load_recipe(path).alerts}


def test_a_rule_on_a_missing_column_is_refused_by_name_and_the_refresh_still_lands(
        river, tmp_path, caplog):
    river(("A", 1, 3.0, 2.5))
    path = tmp_path / "levels.yaml"
    path.write_text(RECIPE.replace("above_column: alert_m", "above_column: alert_level"))
    rule = load_recipe(path).alerts[0]
    parquet = river.env.store.current_path("levels")
    with pytest.raises(RuleError, match="no column 'alert_level' in the data .did you mean "
                                        "'alert_m'"):
        active_rows(parquet, rule, "levels")
    (tmp_path / "sources" / "levels.csv").write_text(
        "station,measured_at,level_m,alert_m\nA,2026-12-01T09:00:00Z,3.3,2.5\n")
    from hub.pipeline.refresh import refresh_dataset as again

    assert again(load_recipe(path), river.env).result == "new"
    assert "alert rule flood-risk of levels not judged" in caplog.text


@pytest.mark.parametrize(("alert", "problem"), [
    ("{name: x, title: t, per: s, when: {column: l}, recipients: {groups: [g]}}",
     "give exactly one of above"),
    ("{name: x, title: t, per: s, when: {column: l, above: 1, below: 2}, "
     "recipients: {groups: [g]}}", "(given: above, below)"),
    ("{name: x, title: t, per: s, when: {column: l, above: 1}, recipients: {}}",
     "name at least one group or user"),
    ("{name: x, title: 'a {x.__class__}', per: s, when: {column: l, above: 1}, "
     "recipients: {groups: [g]}}", "must be a plain column name"),
    ("{name: Bad Name, title: t, per: s, when: {column: l, above: 1}, "
     "recipients: {groups: [g]}}", "alerts.0.name"),
])
def test_a_bad_rule_is_refused_at_load_naming_the_key(tmp_path, alert, problem):
    path = tmp_path / "levels.yaml"
    path.write_text(RECIPE.split("alerts:")[0] + f"alerts:\n  - {alert}\n")
    with pytest.raises(ConfigProblems) as refused:
        load_recipe(path)
    assert problem in str(refused.value) and str(path) in str(refused.value)


def test_a_number_test_on_a_text_column_says_to_parse_it(river, tmp_path):
    river(("A", 1, 3.0, 2.5))
    path = tmp_path / "levels.yaml"
    path.write_text(RECIPE.replace("column: level_m, at_least: 5", "column: station, at_least: 5"))
    rule = load_recipe(path).alerts[1]
    with pytest.raises(RuleError, match="'station' does not hold numbers"):
        active_rows(river.env.store.current_path("levels"), rule, "levels")


def test_two_rules_with_one_name_are_refused(tmp_path):
    path = tmp_path / "levels.yaml"
    path.write_text(RECIPE.replace("name: very-high", "name: flood-risk"))
    with pytest.raises(ConfigProblems, match="'flood-risk' is used twice"):
        load_recipe(path)
