"""`agora check` and `agora up` refusals, through the real CLI entry point."""

import os
import subprocess
import sys

from hub.cli.main import main


def test_check_accepts_the_embedded_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGORA_CONFIG", raising=False)
    assert main(["check"]) == 0
    assert "ok: settings from defaults" in capsys.readouterr().out


def test_check_reports_each_problem_and_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "workspace.yaml"
    path.write_text("hub:\n  hub_port: -1\nspawner:\n  isolaton: shared\n")
    assert main(["-c", str(path), "check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:2: hub.hub_port: Input should be greater than or equal to 1" in err[0]
    assert err[1].startswith(f"{path}:4: spawner.isolaton: unknown key -> remove it or use one of:")
    assert "2 problem(s)" in err[2]


def test_up_refuses_bad_settings_before_starting_anything(tmp_path):
    path = tmp_path / "workspace.yaml"
    path.write_text("hub:\n  bind_url: http://0.0.0.0:8000/\n")
    result = subprocess.run([sys.executable, "-m", "hub.cli", "-c", str(path), "up"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "auth.mode: demo accounts are refused" in result.stderr
    assert not (tmp_path / ".agora").exists()


def test_missing_settings_file_is_a_clear_error(tmp_path, capsys):
    assert main(["-c", str(tmp_path / "nope.yaml"), "check"]) == 2
    assert "nope.yaml: (top level): cannot read file" in capsys.readouterr().err


def test_banner_says_which_account_runs_the_workspaces(tmp_path, monkeypatch):
    from hub.cli import up as runner
    from hub.config.loading import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGORA_CONFIG", raising=False)
    monkeypatch.setenv("AGORA_HUB__DATA_DIR", str(tmp_path / "data"))
    settings = load_settings(None)
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # the module hub.cli.up and hub.config.settings use
    assert "each user's own system account (agora-<name>)" in runner.banner(settings)
    monkeypatch.setenv("AGORA_SPAWNER__ISOLATION", "shared")
    settings = load_settings(None)
    shared = runner.banner(settings)
    assert "Workspaces run as the unprivileged account agora-shared, shared by every user " \
           "(homes in /home/agora-shared)" in shared
    assert "not isolated from each other; set spawner.isolation: auto or system-users" in shared
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "no isolation, for a demo on your own machine" in runner.banner(settings)
    monkeypatch.setenv("AGORA_SPAWNER__ISOLATION", "system-users")
    assert "each user's own system account (agora-<name>)" in runner.banner(load_settings(None))


def test_check_warns_when_users_share_one_account(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGORA_CONFIG", raising=False)
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 1000)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "isolation: shared" in out
    assert ("warning: defaults: spawner.isolation: workspaces share one OS account (the hub "
            "does not run as root)") in out
    assert "-> run the hub as root" in out
    monkeypatch.setattr("hub.config.settings.os.geteuid", lambda: 0)
    monkeypatch.setattr("hub.config.settings.shutil.which", lambda name: f"/usr/sbin/{name}")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "isolation: system-users" in out and "spawner.isolation" not in out


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    """`agora status | head -1`: the pipe closes before agora has written its table."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    for i in range(200):  # more than a pipe's buffer of table lines
        (catalog / f"dataset_{i:03d}.yaml").write_text(
            f"title: Dataset {i}\ndescription: A dataset.\n"
            "source: {connector: csv, path: missing.csv}\n")
    path = tmp_path / "workspace.yaml"
    path.write_text(f"hub:\n  data_dir: {tmp_path / 'data'}\ndata:\n  catalog_dir: {catalog}\n"
                    "  demo_data: false\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    reader = subprocess.Popen([sys.executable, "-m", "hub.cli", "-c", str(path), "status"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    reader.stdout.close()  # the reader is gone before the first line
    errors = reader.stderr.read().decode()
    assert reader.wait(timeout=60) == 0 and "Traceback" not in errors, errors


def test_what_a_hub_started_does_not_outlive_it_when_it_dies_on_its_own(tmp_path):
    """A hub that crashes (a service port taken) leaves its services in sessions of their
    own, adopted by init: `agora up` still kills them."""
    import psutil

    from hub.cli.up import Family

    pid_file = tmp_path / "service.pid"
    hub_code = ("import subprocess, sys, time\n"
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],"
                " start_new_session=True)\n"
                f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
                "time.sleep(1.5)\n")  # then the hub dies, its child left behind
    hub = subprocess.Popen([sys.executable, "-c", hub_code])
    family = Family(hub, every=0.1)
    assert hub.wait(timeout=30) == 0
    service = psutil.Process(int(pid_file.read_text()))
    assert service.is_running() and service.ppid() != hub.pid  # an orphan now
    family.end()
    service.wait(timeout=10)
    assert not service.is_running()
