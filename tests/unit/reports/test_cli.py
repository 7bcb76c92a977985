"""`agora report list | history | run` and `agora check` on schedule files, through the CLI."""

from datetime import UTC, datetime

from hub.cli.main import main
from hub.reports.store import PlannedRun, ReportStore
from tests.reports_support import report_settings

SCHEDULE = ('template: digest\ncron: "0 7 * * mon"\ntimezone: America/Cayenne\n'
            "recipients: {groups: [officials], emails: [presse@ville.example.fr]}\n"
            "run_as: owner\nowner: scheduler\n")


def test_list_shows_each_schedule_and_warns_of_a_missing_template(tmp_path, capsys):
    report_settings(tmp_path, {"digest": SCHEDULE,
                               "other": SCHEDULE.replace("digest", "gone")})
    assert main(["-c", str(tmp_path / "workspace.yaml"), "report", "list"]) == 0
    out = capsys.readouterr().out
    digest = next(line for line in out.splitlines() if line.startswith("digest "))
    assert "0 7 * * mon (America/Cayenne)" in digest and "owner" in digest
    assert "group officials, presse@ville.example.fr" in digest and " file " in digest
    assert "warning: schedule 'other': template 'gone' not found" in out


def test_history_lists_the_latest_runs_and_refuses_an_unknown_name(tmp_path, capsys):
    settings = report_settings(tmp_path, {"digest": SCHEDULE})
    store = ReportStore(settings.reports_dir)
    now = datetime(2026, 11, 30, 10, tzinfo=UTC)
    [run_id] = store.plan("digest", now, [PlannedRun(
        "digest", "2026-W48", "scheduler", "owner", "scheduler", ("elu-rivemont",),
        {"template": "digest", "title": "Digest", "parameters": {}}, 1)], now)
    store.claim(run_id, now)
    store.failed(run_id, "the source of the bins is empty", now)
    config = ["-c", str(tmp_path / "workspace.yaml")]
    assert main([*config, "report", "history", "digest"]) == 0
    row = capsys.readouterr().out.splitlines()[2]
    assert "2026-W48" in row and "failed" in row and "the source of the bins is empty" in row
    assert main([*config, "report", "history", "nope"]) == 2
    assert "no schedule named 'nope'" in capsys.readouterr().err


def test_run_without_a_hub_that_ever_started_says_how_to_start_one(tmp_path, capsys):
    report_settings(tmp_path, {"digest": SCHEDULE})
    assert main(["-c", str(tmp_path / "workspace.yaml"), "report", "run", "digest"]) == 2
    assert "start Agora once with `agora up`" in capsys.readouterr().err


def test_check_reports_a_broken_schedule_file_by_line(tmp_path, capsys):
    report_settings(tmp_path, {"digest": SCHEDULE.replace("run_as: owner", "run_as: everyone")})
    assert main(["-c", str(tmp_path / "workspace.yaml"), "check"]) == 2
    err = capsys.readouterr().err
    assert "digest.yaml:5: run_as: Input should be 'owner' or 'recipient'" in err


def test_run_with_the_hub_stopped_says_so_at_once(tmp_path, capsys):
    from hub.reports.service import service_token
    from tests.support import free_port

    settings = report_settings(tmp_path, {"digest": SCHEDULE}, hub={"hub_port": free_port()})
    service_token(settings.reports_dir)  # a hub ran here once, and is stopped now
    assert main(["-c", str(tmp_path / "workspace.yaml"), "report", "run", "digest"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the hub API" in err and "is Agora running" in err
