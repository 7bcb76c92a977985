"""Telling recipients about alert episodes: once each, only about rows they may read.

:meth:`AlertDelivery.deliver` takes the undelivered notices (episodes.py), reads each one's
rule from the dataset's current recipe and expands its groups and users to hub users. Then,
for each recipient, with what is owed to them in this round:

1. asks the datasets service, **with that recipient's rights** (`rights`: a checker holding
   a short-lived token of theirs), whether they may read each row an alert is about;
2. sends them ONE e-mail listing the alerts they may read (`send`) and records those
   "told" (the portal lists them), the others "not-visible" (never told).

A recipient is recorded only once their e-mail is sent, so a crash never tells anyone twice;
a failure (mail server or datasets service down) leaves them for the next round. A notice
is marked delivered once every recipient is dealt with.
The callables come from the scheduler service (hub/reports/service.py `alert_delivery`:
the hub API for members and short-lived tokens, the datasets service, SMTP).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from .episodes import Episode, EpisodeStore
from .rules import AlertRule

log = logging.getLogger(__name__)

SUBJECTS = {("opened", "fr"): "[Agora] Alerte : {title}", ("opened", "en"): "[Agora] Alert: {title}",
            ("closed", "fr"): "[Agora] Fin d'alerte : {title}",
            ("closed", "en"): "[Agora] Alert over: {title}",
            ("many", "fr"): "[Agora] {count} alertes", ("many", "en"): "[Agora] {count} alerts"}
STATES = {("opened", "fr"): "Nouvelle alerte", ("opened", "en"): "New alert",
          ("closed", "fr"): "Alerte terminée", ("closed", "en"): "Alert over"}
INTRO = {"fr": "Bonjour,\n\nVoici ce qui a changé dans les alertes qui vous concernent :\n",
         "en": "Hello,\n\nThis is what changed in the alerts you receive:\n"}
LINE = {"fr": "- {state} : {title}\n  Voir les données (version {version}) : {link}\n",
        "en": "- {state}: {title}\n  See the data (version {version}): {link}\n"}
OUTRO = {"fr": "\nVous ne recevrez pas d'autre message pour ces épisodes avant leur fin. Vos "
               "alertes sont aussi sur la page d'accueil du portail.\n",
         "en": "\nYou will get no other message about these episodes until they are over. "
               "Your alerts are also on the portal's home page.\n"}


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None
    lang: str = "fr"


@dataclass(frozen=True)
class Owed:
    notice: int
    kind: str  # "opened" or "closed"
    episode: Episode
    rule: AlertRule


Checker = Callable[[str, str, str], Awaitable[bool]]  # dataset, column, value -> may read


@dataclass
class AlertDelivery:
    episodes: EpisodeStore
    rule_of: Callable[[str, str], AlertRule | None]  # (dataset, rule name) -> current rule
    members: Callable[[Iterable[str], Iterable[str]], Awaitable[list[Recipient]]]
    rights: Callable[[Recipient], AbstractAsyncContextManager[Checker]]
    send: Callable[[Recipient, str, str], None]  # recipient, subject, body (blocking)
    portal_url: str = ""  # the portal's dataset pages: <portal>datasets/<id>

    async def deliver(self) -> dict[str, int]:
        """One round: counts of alerts told, not visible, and recipients left for later."""
        counts = {"told": 0, "not-visible": 0, "later": 0}
        owed, recipients, blocked = await self.owed()
        for name, items in owed.items():
            outcome = await self.deliver_to(recipients[name], items)
            if outcome is None:
                counts["later"] += 1
                blocked.update(item.notice for item in items)
                continue
            for item, told in outcome:
                result = "told" if told else "not-visible"
                self.episodes.record_delivery(item.notice, name, result, now())
                counts[result] += 1
        for notice, _, _ in self.episodes.undelivered():
            if notice not in blocked:
                self.episodes.mark_delivered(notice, now())
        return counts

    async def owed(self):
        """({recipient name: [Owed]}, {name: Recipient}, notices that must wait)."""
        owed: dict[str, list[Owed]] = {}
        recipients: dict[str, Recipient] = {}
        blocked: set[int] = set()
        for notice, kind, episode in self.episodes.undelivered():
            rule = self.rule_of(episode.dataset, episode.rule)
            if rule is None:  # the rule is gone from the recipe: nobody to tell any more
                continue
            try:
                people = await self.members(rule.recipients.groups, rule.recipients.users)
            except Exception as exc:  # the hub is down: the notice waits
                log.warning("alert %s: recipients unknown for now: %s", episode.id, exc)
                blocked.add(notice)
                continue
            done = self.episodes.delivered_to(notice)
            for person in people:
                if person.name not in done:
                    recipients[person.name] = person
                    owed.setdefault(person.name, []).append(Owed(notice, kind, episode, rule))
        return owed, recipients, blocked

    async def deliver_to(self, recipient: Recipient, items: list[Owed]):
        """[(item, told?)] once their e-mail is sent, or None to try again next round."""
        try:
            async with self.rights(recipient) as may_read:
                seen = [(item, await may_read(item.episode.dataset, item.rule.per,
                                              item.episode.key)) for item in items]
            told = [item for item, visible in seen if visible]
            if told and recipient.email:
                await asyncio.to_thread(self.send, recipient, *self.message(recipient, told))
            return seen
        except Exception as exc:
            log.warning("alerts for %s not delivered yet: %s", recipient.name, exc)
            return None

    def message(self, recipient: Recipient, items: list[Owed]) -> tuple[str, str]:
        lang = recipient.lang if recipient.lang in ("fr", "en") else "fr"
        titles = [item.episode.title.get(lang) or next(iter(item.episode.title.values()))
                  for item in items]
        subject = (SUBJECTS[(items[0].kind, lang)].format(title=titles[0]) if len(items) == 1
                   else SUBJECTS[("many", lang)].format(count=len(items)))
        lines = [LINE[lang].format(state=STATES[(item.kind, lang)], title=title,
                                   version=version(item) or "?",
                                   link=f"{self.portal_url}datasets/{item.episode.dataset}")
                 for item, title in zip(items, titles, strict=True)]
        return subject, INTRO[lang] + "".join(lines) + OUTRO[lang]


def version(item: Owed) -> str | None:
    e = item.episode
    return e.closed_version if item.kind == "closed" else e.opened_version


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
