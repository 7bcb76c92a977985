"""The scheduler service's definition and the reports settings, on a bare Config()."""

import pytest
from traitlets.config import Config

from hub import configure
from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems


def settings(**env):
    return load_settings(environ={"AGORA_HUB__DATA_DIR": "/srv/agora", **env})


def scheduler(c: Config) -> dict:
    return next(s for s in c.JupyterHub.services if s["name"] == "scheduler")


def applied(s, inputs=configure.HubInputs()) -> Config:
    c = Config()
    configure.apply(c, s, inputs)
    return c


def test_its_role_mints_tokens_only_for_the_run_as_groups_and_reads_groups():
    c = applied(settings(AGORA_REPORTS__RUN_AS_GROUPS="[elus, commune-99101]",
                         AGORA_REPORTS__SCHEDULER_GROUPS="[planners]"))
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "scheduler")
    assert role["services"] == ["scheduler"]
    assert role["scopes"] == ["read:groups", "tokens!group=elus", "tokens!group=commune-99101",
                              "tokens!group=planners"]
    assert not any(s in ("admin", "tokens", "admin:users", "users") for s in role["scopes"])
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert "access:services!service=scheduler" in user["scopes"]  # recipients fetch PDFs


def test_it_listens_on_its_own_port_and_gets_its_fixed_token():
    c = applied(settings(AGORA_SERVICES__SCHEDULER_PORT="9085"),
                configure.HubInputs(scheduler_token="fixed-token-from-the-data-dir"))
    service = scheduler(c)
    assert service["url"] == "http://127.0.0.1:9085" and service["oauth_no_confirm"]
    assert service["api_token"] == "fixed-token-from-the-data-dir"
    assert "fixed-token" not in repr(configure.HubInputs(scheduler_token="fixed-token-x"))
    assert "api_token" not in scheduler(applied(settings()))  # no file: the hub makes one


def test_the_smtp_password_is_read_from_the_hub_environment_never_written(monkeypatch):
    monkeypatch.setenv("MAIL_PASSWORD", "s3cret")
    c = applied(settings(AGORA_REPORTS__SMTP__PASSWORD_ENV="MAIL_PASSWORD"))
    env = scheduler(c)["environment"]
    assert env["MAIL_PASSWORD"](None) == "s3cret" and "s3cret" not in repr(env)
    assert env["AGORA_SERVICES__SCHEDULER_PORT"] == "8085"


def test_a_port_clash_names_the_scheduler_port():
    with pytest.raises(ConfigProblems, match=r"services.scheduler_port: port 8082 is also "
                                             r"services.datasets_port's"):
        settings(AGORA_SERVICES__SCHEDULER_PORT="8082")


@pytest.mark.parametrize("env, message", [
    ({"AGORA_REPORTS__TIMEZONE": "Paris"}, "reports.timezone: 'Paris' is not an IANA time zone"),
    ({"AGORA_REPORTS__RUN_AS_GROUPS": "[' elus']"}, "reports.run_as_groups: ' elus' is not a "
                                                    "group name"),
    ({"AGORA_REPORTS__DELIVERY_CLASS": "hub.reports.store:ReportStore"},
     "reports.delivery_class: hub.reports.store:ReportStore is not a subclass of Delivery"),
    ({"AGORA_REPORTS__RENDERER": "not an import"}, "reports.renderer: String should match"),
    ({"AGORA_REPORTS__SMTP__SECURITY": "ssl"}, "reports.smtp.security"),
    ({"AGORA_REPORTS__ARCHIVE_URL": "https://s3.example.org/agora"},
     "reports.archive_url: not an s3:// URL"),
    ({"AGORA_DATA__STORE_URL": "s3://agora/data", "AGORA_REPORTS__ARCHIVE_URL": "s3://agora/data/pdf"},
     "reports.archive_url: s3://agora/data/pdf lies inside data.store_url s3://agora/data"),
])
def test_bad_reports_settings_are_one_clear_line(env, message):
    with pytest.raises(ConfigProblems) as info:
        settings(**env)
    assert message in str(info.value)


def test_the_s3_keys_reach_the_scheduler_by_name_with_an_s3_archive():
    assert "AWS_ACCESS_KEY_ID" not in scheduler(applied(settings()))["environment"]
    env = scheduler(applied(settings(AGORA_REPORTS__ARCHIVE_URL="s3://agora/reports/archive",
                                     AGORA_DATA__STORE_URL="s3://agora/snapshots")))["environment"]
    assert callable(env["AWS_ACCESS_KEY_ID"]) and callable(env["AWS_SECRET_ACCESS_KEY"])
    assert settings(AGORA_REPORTS__ARCHIVE_URL="s3://agora/data-pdf",
                    AGORA_DATA__STORE_URL="s3://agora/data").reports.archive_url
