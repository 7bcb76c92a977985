"""The portal's reports: the visitor's PDFs, and for schedulers a form to plan a report.

Everything goes through the scheduler service with the visitor's token
(scheduler_client.py); the portal decides nothing about rights. A person fills in words,
not cron: a frequency (each day, each week on a weekday, each month on the 1st), a time, the
groups, users and addresses, whose rights to use, a language; :func:`schedule_from_form`
turns that into the API's schedule. A refusal is shown in the page, key by key.
"""

from __future__ import annotations

import re
import unicodedata

from tornado import web

from .handlers import PortalHandler
from .scheduler_client import SchedulerRefused, SchedulerUnavailable

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FREQUENCIES = {"daily": "day", "weekly": "week", "monthly": "month"}
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class FormProblem(ValueError):
    def __init__(self, key: str, label: str):
        super().__init__(label)
        self.key, self.label = key, label


def listed(text: str) -> list[str]:
    """'a, b ; c' -> ['a', 'b', 'c']."""
    return [part.strip() for part in re.split(r"[,;\s]+", text or "") if part.strip()]


def slug(title: str) -> str:
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or "rapport"


def schedule_from_form(form: dict[str, str]) -> dict:
    """The scheduler API's schedule for the portal's form; FormProblem names a bad field."""
    title = (form.get("title") or "").strip()
    if not title:
        raise FormProblem("title", "form_need_title")
    frequency = form.get("frequency", "weekly")
    if frequency not in FREQUENCIES:
        raise FormProblem("frequency", "form_bad_frequency")
    time = TIME.match((form.get("time") or "").strip())
    if not time:
        raise FormProblem("time", "form_bad_time")
    hour, minute = int(time[1]), int(time[2])
    weekday = form.get("weekday", "mon")
    if frequency == "weekly" and weekday not in WEEKDAYS:
        raise FormProblem("weekday", "form_bad_weekday")
    day, dow = {"daily": ("*", "*"), "weekly": ("*", weekday), "monthly": ("1", "*")}[frequency]
    recipients = {"groups": listed(form.get("groups")), "users": listed(form.get("users")),
                  "emails": listed(form.get("emails"))}
    if not any(recipients.values()):
        raise FormProblem("recipients", "form_need_recipients")
    return {"name": slug(title), "title": title, "template": form.get("template", ""),
            "cron": f"{minute} {hour} {day} * {dow}", "period": FREQUENCIES[frequency],
            "recipients": {k: v for k, v in recipients.items() if v},
            "run_as": "owner" if form.get("run_as") == "owner" else "recipient",
            "language": "en" if form.get("language") == "en" else "fr"}


WHEN = {"day": ("chaque jour à {time}", "every day at {time}"),
        "week": ("chaque {day} à {time}", "every {day} at {time}"),
        "month": ("le 1er de chaque mois à {time}", "on the 1st of every month at {time}")}
DAY_NAMES = {"fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday")}


def cron_in_words(cron: str, lang: str) -> str:
    """'30 8 * * fri' -> 'chaque vendredi à 08:30' for the shapes the form makes; any other
    cron as it is written."""
    parts = cron.split()
    if len(parts) != 5 or not (parts[0].isdigit() and parts[1].isdigit()) or parts[3] != "*":
        return cron
    time, (day, dow) = f"{int(parts[1]):02d}:{int(parts[0]):02d}", (parts[2], parts[4])
    which = 1 if lang == "en" else 0
    if (day, dow) == ("*", "*"):
        return WHEN["day"][which].format(time=time)
    if day == "1" and dow == "*":
        return WHEN["month"][which].format(time=time)
    if day == "*" and dow.lower() in WEEKDAYS:
        name = DAY_NAMES[lang if lang == "en" else "fr"][WEEKDAYS.index(dow.lower())]
        return WHEN["week"][which].format(day=name, time=time)
    return cron


def readable_reports(runs: list[dict], name: str) -> list[dict]:
    """The finished PDFs among `runs` that were made for `name` (their own rights), or with
    an owner's rights for several people (the scheduler checks again at download)."""
    return [r for r in runs if r.get("has_pdf") and r.get("status") == "succeeded"
            and (r.get("recipient") == name or r.get("run_as") == "owner")]


class ReportsHandler(PortalHandler):
    page = "reports"

    @property
    def scheduler(self):
        return self.settings["scheduler"]

    async def get(self):
        await self.show()

    async def show(self, form: dict | None = None, problem: str | None = None,
                   problems: list | None = None, done: str | None = None, status: int = 200):
        token = self.visitor.token
        try:
            runs = await self.scheduler.runs(token)
            schedules, may_schedule = await self.scheduler.schedules(token)
            templates = await self.scheduler.templates(token) if may_schedule else []
        except (SchedulerUnavailable, SchedulerRefused):
            self.render_page("reports.html", status=503, unavailable=True, runs=[],
                             schedules=[], may_schedule=False, templates=[], form={},
                             problem=None, problems=[], done=None)
            return
        mine = readable_reports(runs, self.visitor.user["name"])
        for schedule in schedules:
            schedule["when"] = cron_in_words(schedule.get("cron", ""), self.lang)
        self.render_page("reports.html", status=status, unavailable=False, runs=mine[:50],
                         schedules=schedules, may_schedule=may_schedule, templates=templates,
                         form=form or {"frequency": "weekly", "weekday": "mon",
                                       "time": "07:00", "run_as": "recipient",
                                       "language": self.lang},
                         problem=problem, problems=problems or [], done=done,
                         weekdays=WEEKDAYS)

    async def post(self):
        form = {k: self.get_body_argument(k, "") for k in (
            "title", "template", "frequency", "weekday", "time", "groups", "users", "emails",
            "run_as", "language")}
        try:
            schedule = schedule_from_form(form)
            await self.scheduler.create(self.visitor.token, schedule)
        except FormProblem as exc:
            return await self.show(form, problem=exc.label, status=400)
        except SchedulerRefused as exc:
            return await self.show(form, problem=exc.message, problems=exc.problems,
                                   status=exc.status)
        except SchedulerUnavailable:
            raise web.HTTPError(503) from None
        await self.show(done=schedule["title"])


class ScheduleActionHandler(ReportsHandler):
    """POST reports/<name>/(enable|disable|run): one button each."""

    async def post(self, name: str, action: str):
        token = self.visitor.token
        try:
            if action == "run":
                await self.scheduler.run_now(token, name)
            else:
                await self.scheduler.change(token, name, {"enabled": action == "enable"})
        except SchedulerRefused as exc:
            return await self.show(problem=exc.message, status=exc.status)
        except SchedulerUnavailable:
            raise web.HTTPError(503) from None
        await self.show(done=name)

    async def get(self, name: str, action: str):
        raise web.HTTPError(404)


class ReportPdfHandler(ReportsHandler):
    """GET reports/runs/<id>.pdf: the PDF, if the scheduler gives it to this visitor."""

    async def get(self, run_id: str):
        try:
            pdf = await self.scheduler.pdf(self.visitor.token, int(run_id))
        except SchedulerRefused:
            raise web.HTTPError(404) from None
        except SchedulerUnavailable:
            raise web.HTTPError(503) from None
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="report-{run_id}.pdf"')
        self.set_header("Cache-Control", "private, no-store")
        self.finish(pdf)
