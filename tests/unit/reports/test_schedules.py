"""Schedule files: the demo's is valid; every mistake is one line naming file, line, key, fix."""

from pathlib import Path

from hub.config.loading import load_settings
from hub.reports.schedules import load_schedule_files, missing_templates

ROOT = Path(__file__).resolve().parents[3]
GOOD = """template: digest
cron: "0 7 * * mon"
recipients: {groups: [officials]}
owner: scheduler
"""


def problems_of(tmp_path, text: str, name: str = "weekly") -> list[str]:
    (tmp_path / f"{name}.yaml").write_text(text)
    schedules, problems = load_schedule_files(tmp_path, "Europe/Paris")
    return [str(p) for p in problems]


def test_the_demo_schedule_is_the_weekly_territory_digest_for_each_official():
    settings = load_settings(None, environ={})
    schedules, problems = load_schedule_files(settings.schedules_dir, settings.reports.timezone)
    assert not problems
    digest = schedules["territory-digest"]
    assert (digest.cron, digest.timezone, digest.period) == ("0 7 * * mon", "Europe/Paris", "week")
    assert digest.recipients.groups == ["officials"] and digest.run_as == "recipient"
    assert digest.owner == "scheduler" and digest.from_file


def test_a_good_file_gets_the_default_time_zone_and_its_file_name(tmp_path):
    (tmp_path / "weekly.yaml").write_text(GOOD)
    schedules, problems = load_schedule_files(tmp_path, "America/Cayenne")
    assert not problems and schedules["weekly"].timezone == "America/Cayenne"
    assert schedules["weekly"].origin == str(tmp_path / "weekly.yaml")


def test_an_unknown_key_names_the_line_and_the_closest_key(tmp_path):
    [problem] = problems_of(tmp_path, GOOD + "recipent: {users: [x]}\n")
    assert problem == (f"{tmp_path}/weekly.yaml:5: recipent: unknown key -> remove it; did you "
                       "mean 'recipients'? use one of: cron, enabled, language, name, owner, "
                       "parameters, period, recipients, run_as, template, timezone, title")


def test_a_bad_cron_and_a_bad_time_zone_say_what_would_be_right(tmp_path):
    problems = problems_of(tmp_path, GOOD.replace('"0 7 * * mon"', '"0 7 * mon"')
                           + "timezone: Europe/Pariss\n")
    assert len(problems) == 1 and "timezone: 'Europe/Pariss' is not an IANA time zone" in problems[0]
    [problem] = problems_of(tmp_path, GOOD.replace('"0 7 * * mon"', '"0 7 * mon"'))
    assert ":2: cron: '0 7 * mon' has 4 fields; cron needs 5" in problem


def test_plain_addresses_cannot_receive_a_report_run_under_each_recipients_rights(tmp_path):
    [problem] = problems_of(tmp_path, GOOD.replace("{groups: [officials]}",
                                                   "{emails: [presse@ville.example.fr]}"))
    assert "run_as: a plain e-mail address has no rights of its own" in problem
    assert "use run_as: owner" in problem


def test_nobody_to_send_to_a_reserved_parameter_and_a_bad_address_are_refused(tmp_path):
    text = GOOD.replace("{groups: [officials]}", "{}") + "parameters: {period: 2026-W01}\n"
    problems = problems_of(tmp_path, text)
    assert any("recipients: name at least one user, group or e-mail address" in p
               for p in problems)
    assert any("parameter 'period' is set by the scheduler" in p for p in problems)
    [bad] = problems_of(tmp_path, GOOD.replace("{groups: [officials]}", "{emails: [not-mail]}")
                        + "run_as: owner\n")
    assert "'not-mail' is not an e-mail address" in bad


def test_a_broken_file_stops_only_its_own_schedule(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "broken.yaml").write_text("template: [")
    (tmp_path / "Bad Name.yaml").write_text(GOOD)
    schedules, problems = load_schedule_files(tmp_path, "Europe/Paris")
    assert list(schedules) == ["good"]
    assert len(problems) == 2 and any("not valid YAML" in str(p) for p in problems)
    assert any("cannot name a schedule" in str(p) for p in problems)


def test_a_missing_template_is_a_warning_naming_the_file_expected(tmp_path):
    (tmp_path / "weekly.yaml").write_text(GOOD)
    schedules, _ = load_schedule_files(tmp_path, "Europe/Paris")
    [warning] = missing_templates(schedules.values(), tmp_path / "templates")
    assert "template 'digest' not found" in warning and "digest.ipynb" in warning
