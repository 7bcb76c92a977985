"""The scheduler service's HTTP API, under its prefix (``/services/scheduler/``)::

    GET   api/templates                  the report templates a schedule may name
    GET   api/schedules                  the schedules you own (a hub admin: all)
    POST  api/schedules                  create one (members of reports.scheduler_groups);
                                         you are its owner
    GET   api/schedules/<name>           one of yours
    PATCH api/schedules/<name>           change it, e.g. {"enabled": false} to disable it
    GET   api/schedules/<name>/runs      its runs (owner: all of them, with status)
    POST  api/schedules/<name>/runs      run it now: {"period": "2026-W48"} (default: the
                                         last complete period)
    GET   api/runs                       the runs made for you, and those of your schedules
    GET   api/runs/<id>                  one of them
    GET   api/runs/<id>/pdf              its PDF, if it was built with your rights or sent
                                         to you built with its owner's (else 404)

Identity is JupyterHub's HubOAuth: a token (``Authorization: token ...``, programs) or the
OAuth cookie (the portal, later). HubOAuth itself ignores the cookie of a write that lacks the
service's XSRF token (``X-XSRFToken`` header or ``_xsrf`` field, from the ``_xsrf`` cookie set
under the service's path): a page on another site cannot act for a logged-in user. Do not
override ``check_xsrf_cookie`` here: HubOAuth calls it to decide. Every answer is JSON (the
PDF aside); unknown and forbidden schedules and runs get the same 404. Schedules defined in
files are read-only here (409: edit the file).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import web

from ..config.problems import Problem
from ..services.json_body import json_object
from .book import NameTaken
from .period import covered_by, parse_period
from .planning import runs_for_period
from .schedules import NAME, Schedule, parse_schedule, template_path
from .store import Run

log = logging.getLogger("agora.reports.api")
MAX_BODY = 64 * 1024
EDITABLE = ("title", "template", "parameters", "cron", "timezone", "period", "recipients",
            "run_as", "enabled", "language")


async def hub_user_model(handler) -> dict | None:
    """The hub's user model of this request (token or cookie), checked by HubOAuth."""
    model = await handler.hub_auth.get_user(handler, sync=False)
    if not model:
        return None
    try:
        return handler.check_hub_user(model)
    except UserNotAllowed:
        return None


class ApiHandler(HubOAuthenticated, web.RequestHandler):
    def initialize(self) -> None:
        if self.settings.get("hub_auth") is not None:
            self.hub_auth = self.settings["hub_auth"]
        self.user: dict = {}

    async def prepare(self) -> None:
        model = await self.settings["user_model"](self)
        if model is not None:
            self.user = model
        elif self.request.headers.get("Authorization"):
            raise web.HTTPError(403, "invalid, expired or insufficient token")
        elif self.request.method == "GET" and self.settings.get("hub_auth") is not None:
            self.redirect(self.get_login_url())  # a browser: hub login, then back here
        else:
            raise web.HTTPError(401, "send 'Authorization: token <your JupyterHub API "
                                "token>', or log in through the hub (writes from a browser "
                                "need the _xsrf token)")

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.user["name"]

    @property
    def admin(self) -> bool:
        return bool(self.user.get("admin"))

    @property
    def scheduler(self):
        return self.settings["scheduler"]

    @property
    def book(self):
        return self.scheduler.book

    @property
    def store(self):
        return self.scheduler.store

    def answer(self, body, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body, ensure_ascii=False, default=str))

    def write_error(self, status_code: int, **kwargs) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(error, "log_message", None) if status_code < 500 else None
        self.answer({"error": message or self._reason, **getattr(error, "extra", {})},
                    status_code)

    def body(self) -> dict:
        return json_object(self.request.body, MAX_BODY)

    def owns(self, schedule: Schedule) -> bool:
        return self.admin or schedule.owner == self.name

    def owned(self, name: str) -> Schedule:
        schedule = self.book.get(name) if re.fullmatch(NAME, name) else None
        if schedule is None or not self.owns(schedule):
            raise web.HTTPError(404, "no such schedule of yours")
        return schedule

    def may_schedule(self) -> bool:
        groups = set(self.user.get("groups") or ())
        return self.admin or bool(groups & set(self.settings["scheduler_groups"]))

    def described(self, schedule: Schedule) -> dict:
        now = self.scheduler.clock()
        return {**schedule.model_dump(), "origin": "file" if schedule.from_file else "api",
                "next_run": schedule.parsed_cron.next_after(now).isoformat()
                if schedule.enabled else None,
                "template_found": template_path(self.settings["templates_dir"],
                                                schedule.template).is_file()}

    def visible_run(self, run: Run | None) -> bool:
        """Runs made for you, and (their status, not their PDF) those of your schedules."""
        return run is not None and (run.readable_by(self.name) or run.owner == self.name
                                    or self.admin)


class ValidationFailed(web.HTTPError):
    def __init__(self, problems: list[Problem]):
        super().__init__(400, "; ".join(f"{p.key or 'schedule'}: {p.message}" for p in problems))
        self.extra = {"problems": [{"key": p.key, "message": p.message, "fix": p.fix}
                                   for p in problems]}


class TemplatesHandler(ApiHandler):
    async def get(self):
        folder = self.settings["templates_dir"]
        names = sorted(p.stem for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        self.answer({"templates": names})


class ScheduleEditing(ApiHandler):
    """What creating and changing a schedule share: the checks, the save."""

    async def checked(self, data: dict) -> Schedule:
        """A valid schedule whose template exists and whose users the scheduler may act as."""
        problems: list[Problem] = []
        schedule = parse_schedule(data, "request", {}, self.settings["default_timezone"],
                                  problems)
        if schedule is None:
            raise ValidationFailed(problems)
        if not template_path(self.settings["templates_dir"], schedule.template).is_file():
            raise ValidationFailed([Problem("request", "template", f"no template named "
                                            f"{schedule.template!r}", "GET api/templates")])
        await self.check_run_as(schedule)
        return schedule

    async def check_run_as(self, schedule: Schedule) -> None:
        users = set(schedule.recipients.users) if schedule.run_as == "recipient" else set()
        if not users:
            return
        allowed = set()
        for group in self.settings["run_as_groups"]:
            allowed.update(await self.scheduler.hub.members(group))
        outside = sorted(users - allowed)
        if outside:
            raise ValidationFailed([Problem(
                "request", "recipients.users", f"reports cannot run under the rights of "
                f"{', '.join(outside)}: not in " + ", ".join(self.settings["run_as_groups"]),
                "ask an administrator to add them to one of those groups "
                "(reports.run_as_groups), or use run_as: owner")])

    def saved(self, schedule: Schedule) -> None:
        try:
            self.book.save(schedule)
        except NameTaken as exc:
            raise web.HTTPError(409, str(exc)) from None


class SchedulesHandler(ScheduleEditing):
    async def get(self):
        schedules = [s for s in self.book.all().values() if self.owns(s)]
        self.answer({"schedules": [self.described(s) for s in schedules],
                     "may_schedule": self.may_schedule()})

    async def post(self):
        if not self.may_schedule():
            raise web.HTTPError(403, "only members of " + ", ".join(
                self.settings["scheduler_groups"]) + " schedule reports")
        data = {**self.body(), "owner": self.name}
        if self.book.get(str(data.get("name", ""))) is not None:
            raise web.HTTPError(409, f"a schedule named {data.get('name')!r} exists already")
        schedule = await self.checked(data)
        self.saved(schedule)
        log.info("schedule %s created by %s", schedule.name, self.name)
        self.answer(self.described(schedule), 201)


class ScheduleHandler(ScheduleEditing):
    async def get(self, name):
        self.answer(self.described(self.owned(name)))

    async def patch(self, name):
        current = self.owned(name)
        if current.from_file:
            raise web.HTTPError(409, f"schedule {name!r} is defined in a file; edit it there")
        changes = self.body()
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise web.HTTPError(400, f"cannot change {', '.join(unknown)}; changeable: "
                                + ", ".join(EDITABLE))
        schedule = await self.checked({**current.model_dump(), **changes})
        self.saved(schedule)
        log.info("schedule %s changed by %s: %s", name, self.name, ", ".join(sorted(changes)))
        self.answer(self.described(schedule))


class ScheduleRunsHandler(ApiHandler):
    async def get(self, name):
        schedule = self.owned(name)
        self.answer({"runs": [r.summary() for r in self.store.runs(schedule.name)]})

    async def post(self, name):
        schedule = self.owned(name)
        label = self.body().get("period")
        try:
            period = parse_period(str(label), schedule.period) if label else \
                covered_by(self.scheduler.clock().astimezone(schedule.zone), schedule.period)
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        planned = runs_for_period(schedule, period, await self.scheduler.members(schedule),
                                  self.scheduler.rules.max_attempts)
        ids = [run.id for run in (self.scheduler.queue_again(p) for p in planned) if run]
        self.scheduler.dispatch(self.scheduler.clock())
        log.info("schedule %s run now for %s by %s", name, period.label, self.name)
        self.answer({"period": period.label, "runs": ids}, 202)


class RunsHandler(ApiHandler):
    async def get(self):
        runs = [r for r in self.store.runs(limit=1000) if self.visible_run(r)]
        self.answer({"runs": [r.summary() for r in runs]})


class RunHandler(ApiHandler):
    def found(self, run_id: str) -> Run:
        run = self.store.run(int(run_id))
        if not self.visible_run(run):
            raise web.HTTPError(404, "no such run for you")
        return run

    async def get(self, run_id):
        self.answer(self.found(run_id).summary())


class RunPdfHandler(RunHandler):
    async def get(self, run_id):
        run = self.store.run(int(run_id))
        if run is None or not run.readable_by(self.name) or not run.pdf:
            raise web.HTTPError(404, "no such PDF for you")
        try:
            content = self.scheduler.archive.read(run.pdf)
        except OSError:
            raise web.HTTPError(404, "no such PDF for you") from None
        stamp = datetime.now().strftime("%Y%m%d")
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition",
                        f'attachment; filename="{run.schedule}-{run.period}-{stamp}.pdf"')
        self.finish(content)


def routes(prefix: str) -> list:
    name, run = r"([^/]+)", r"(\d{1,18})"
    return [(prefix + "api/templates", TemplatesHandler),
            (prefix + "api/schedules", SchedulesHandler),
            (prefix + f"api/schedules/{name}", ScheduleHandler),
            (prefix + f"api/schedules/{name}/runs", ScheduleRunsHandler),
            (prefix + "api/runs", RunsHandler),
            (prefix + f"api/runs/{run}", RunHandler),
            (prefix + f"api/runs/{run}/pdf", RunPdfHandler)]
