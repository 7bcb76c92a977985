"""The report archive on both homes (hub/reports/archive.py): the local folder and a real
loopback S3 server (tests/s3_support.py), with the real worker process (the test renderer):
what is served and mailed, what a failed run leaves, retention, a switch from local."""

from __future__ import annotations

import shutil
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from tornado.httpclient import AsyncHTTPClient

from hub.reports.archive import ObjectArchive
from hub.reports.period import parse_period
from hub.reports.service import build_scheduler
from hub.services.scheduler.app import make_app
from tests.reports_support import LocalHub, pdf_text, report_settings, worker_environ
from tests.s3_support import KEYS, new_bucket, s3_server
from tests.support import free_port

WEEK = parse_period("2026-W48", "week")
SCHEDULE = ('template: digest\ntitle: Digest\ncron: "0 7 * * mon"\n'
            "recipients: {users: [elu-rivemont]}\nowner: scheduler\nparameters: {}\n")
ENVIRON = {**worker_environ(), "AWS_ACCESS_KEY_ID": KEYS["access_key"],
           "AWS_SECRET_ACCESS_KEY": KEYS["secret_key"]}


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 30, 7, 0, tzinfo=ZoneInfo("Europe/Paris"))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def endpoint():
    with s3_server() as url:
        yield url


def scheduler_in(folder, endpoint: str | None, parameters: str = "{}", keep_days: int = 400):
    """A scheduler whose archive is local (`endpoint` None) or on a new bucket there."""
    reports, data = {"keep_days": keep_days, "retries": 0}, None
    if endpoint:
        reports["archive_url"] = f"s3://{new_bucket(endpoint)}/reports/archive"
        data = {"s3_endpoint": endpoint, "s3_region": "us-east-1"}
    text = SCHEDULE.replace("parameters: {}", f"parameters: {parameters}")
    settings = report_settings(folder, {"digest": text}, reports, data=data)
    return build_scheduler(settings, LocalHub({}), ENVIRON, Clock()), settings


@pytest.fixture(params=["local", "s3"])
def where(request, endpoint):
    return None if request.param == "local" else endpoint


async def run_week(scheduler):
    [run] = await scheduler.run_now(scheduler.book.get("digest"), WEEK)
    return run


async def downloaded(scheduler, settings, run_id: int, user: str) -> tuple[int, bytes]:
    """The PDF as the scheduler's API serves it to `user`."""
    async def as_user(handler):
        return {"name": user, "groups": []}

    port = free_port()
    server = make_app(prefix="/", scheduler=scheduler, settings=settings,
                      user_model=as_user).listen(port, "127.0.0.1")
    try:
        answer = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/api/runs/{run_id}/pdf",
                                               raise_error=False)
        return answer.code, answer.body
    finally:
        server.stop()


async def test_an_archived_pdf_is_served_the_same_from_either_archive(tmp_path, endpoint):
    local, local_settings = scheduler_in(tmp_path / "local", None)
    remote, remote_settings = scheduler_in(tmp_path / "remote", endpoint)
    assert isinstance(remote.archive, ObjectArchive) and not isinstance(local.archive,
                                                                        ObjectArchive)
    here, there = await run_week(local), await run_week(remote)
    assert (here.status, there.status) == ("succeeded", "succeeded")
    assert there.pdf.startswith("s3://") and there.pdf.endswith(
        "/reports/archive/digest/2026-W48/elu-rivemont.pdf")
    assert not (tmp_path / "remote" / "data" / "reports" / "archive").exists()
    assert not any((tmp_path / "remote" / "data" / "reports" / "staging").rglob("*.pdf"))
    local_code, local_pdf = await downloaded(local, local_settings, here.id, "elu-rivemont")
    remote_code, remote_pdf = await downloaded(remote, remote_settings, there.id,
                                               "elu-rivemont")
    assert (local_code, remote_code) == (200, 200)
    copy = tmp_path / "served.pdf"
    copy.write_bytes(remote_pdf)
    assert pdf_text(copy) == pdf_text(here.pdf) and "report 2026-W48 for elu-rivemont" in \
        pdf_text(copy)
    assert remote_pdf == remote.archive.read(there.pdf) and local_pdf == open(here.pdf, "rb").read()
    assert (await downloaded(remote, remote_settings, there.id, "partner"))[0] == 404
    [(_, build)] = remote.messages(there)  # the e-mail attaches the same bytes
    mail = build(SimpleNamespace(email="elu@example.org", language="fr"))
    assert next(mail.iter_attachments()).get_content() == remote_pdf


async def test_a_failed_run_leaves_nothing_in_the_archive(tmp_path, where):
    scheduler, _ = scheduler_in(tmp_path, where, "{fail: 'la source est vide'}")
    run = await run_week(scheduler)
    assert (run.status, run.pdf) == ("failed", None)
    assert scheduler.archive.pdfs() == []


async def test_retention_removes_old_pdfs_from_either_archive(tmp_path, where):
    scheduler, _ = scheduler_in(tmp_path, where, keep_days=30)
    run = await run_week(scheduler)
    assert scheduler.archive.pdfs() == [run.pdf]
    scheduler.clock.now = scheduler.clock.now.replace(year=2027)
    assert scheduler.prune(scheduler.clock()) == 1
    assert scheduler.archive.pdfs() == [] and scheduler.store.runs("digest") == []
    with pytest.raises(FileNotFoundError):
        scheduler.archive.read(run.pdf)


async def test_after_a_switch_to_s3_a_pdf_recorded_locally_is_read_from_its_copy(
        tmp_path, endpoint):
    """The migration in docs/reports.md: copy <data_dir>/reports/archive/ to archive_url;
    runs recorded with local paths are then served from the bucket."""
    local, _ = scheduler_in(tmp_path, None)
    run = await run_week(local)
    remote, _ = scheduler_in(tmp_path, endpoint)
    local_bytes = open(run.pdf, "rb").read()
    for path in local.archive.archive.rglob("*.pdf"):
        remote.archive.files.upload(path, path.relative_to(local.archive.archive).as_posix())
    shutil.rmtree(local.archive.archive)
    assert remote.archive.read(run.pdf) == local_bytes
    with pytest.raises(FileNotFoundError):
        remote.archive.read("/etc/passwd")
