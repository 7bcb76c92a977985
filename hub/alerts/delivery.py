"""Telling recipients about alert episodes: once each, only about rows they may read.

:meth:`AlertDelivery.deliver` takes the undelivered notices (episodes.py). For each one it
reads the rule from the dataset's current recipe and expands its groups and users to hub
users. Then, for each recipient not yet dealt with:

1. asks the datasets service, **with that recipient's rights**, whether they may read the
   row the alert is about (`visible`);
2. if so, e-mails them (`send`) and records "told", which the portal lists;
3. if not, records "not-visible" and tells them nothing.

Each recipient is recorded when dealt with, so a crash in the middle never tells anyone
twice. The notice is marked delivered once every recipient is dealt with. A failure
(mail server down, the datasets service down) leaves that recipient for the next round.
The three callables come from the scheduler (hub/reports): hub API, tokens, SMTP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .episodes import Episode, EpisodeStore
from .rules import AlertRule

log = logging.getLogger(__name__)

SUBJECTS = {("opened", "fr"): "[Agora] Alerte : {title}", ("opened", "en"): "[Agora] Alert: {title}",
            ("closed", "fr"): "[Agora] Fin d'alerte : {title}",
            ("closed", "en"): "[Agora] Alert over: {title}"}
BODIES = {
    "fr": ("{state}\n\n{title}\n\nJeu de données : {dataset} (version {version}).\n"
           "Voir les données : {link}\n\nVous recevez ce message parce que vous êtes "
           "destinataire de la règle « {rule} ». Vous ne recevrez pas d'autre message pour "
           "cet épisode avant sa fin.\n"),
    "en": ("{state}\n\n{title}\n\nDataset: {dataset} (version {version}).\n"
           "See the data: {link}\n\nYou receive this message as a recipient of the rule "
           "\"{rule}\". You will get no other message about this episode until it is over.\n"),
}
STATES = {("opened", "fr"): "Une alerte vient de se déclencher.",
          ("opened", "en"): "An alert has just been raised.",
          ("closed", "fr"): "Cette alerte est terminée : la valeur est revenue sous le seuil.",
          ("closed", "en"): "This alert is over: the value is back within its limit."}


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None
    lang: str = "fr"


@dataclass
class AlertDelivery:
    episodes: EpisodeStore
    rule_of: Callable[[str, str], AlertRule | None]  # (dataset, rule name) -> current rule
    members: Callable[[Iterable[str], Iterable[str]], list[Recipient]]  # groups, users
    visible: Callable[[Recipient, str, str, str], bool]  # recipient, dataset, column, value
    send: Callable[[Recipient, str, str], None]  # recipient, subject, body
    portal_url: str = ""  # the portal's dataset pages: <portal>datasets/<id>

    def deliver(self) -> dict[str, int]:
        """Deliver every pending notice; counts of recipients told, skipped, left for later."""
        counts = {"told": 0, "not-visible": 0, "later": 0}
        for notice, kind, episode in self.episodes.undelivered():
            rule = self.rule_of(episode.dataset, episode.rule)
            if rule is None:  # the rule is gone from the recipe: nobody to tell any more
                self.episodes.mark_delivered(notice, now())
                continue
            done = self.episodes.delivered_to(notice)
            later = 0
            for recipient in self.members(rule.recipients.groups, rule.recipients.users):
                if recipient.name in done:
                    continue
                outcome = self.deliver_one(recipient, kind, episode, rule)
                counts[outcome] += 1
                if outcome == "later":
                    later += 1
                else:
                    self.episodes.record_delivery(notice, recipient.name, outcome, now())
            if not later:
                self.episodes.mark_delivered(notice, now())
        return counts

    def deliver_one(self, recipient: Recipient, kind: str, episode: Episode,
                    rule: AlertRule) -> str:
        try:
            if not self.visible(recipient, episode.dataset, rule.per, episode.key):
                return "not-visible"
            if recipient.email:
                self.send(recipient, *self.message(recipient, kind, episode))
            return "told"
        except Exception as exc:
            log.warning("alert %s for %s not delivered yet: %s", episode.id, recipient.name,
                        exc)
            return "later"

    def message(self, recipient: Recipient, kind: str, episode: Episode) -> tuple[str, str]:
        lang = recipient.lang if recipient.lang in ("fr", "en") else "fr"
        title = episode.title.get(lang) or next(iter(episode.title.values()))
        subject = SUBJECTS[(kind, lang)].format(title=title)
        version = episode.closed_version if kind == "closed" else episode.opened_version
        body = BODIES[lang].format(state=STATES[(kind, lang)], title=title,
                                   dataset=episode.dataset, version=version or "?",
                                   link=f"{self.portal_url}datasets/{episode.dataset}",
                                   rule=episode.rule)
        return subject, body


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
