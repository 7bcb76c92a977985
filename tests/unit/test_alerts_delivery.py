"""Alert delivery's rules on a real episode store (SQLite and PostgreSQL: `state_url`): once
per recipient, only rows they may read, a failed send retried later without telling the
others twice.

The hub, the datasets service and SMTP are the scheduler's (end to end in
tests/integration); here they are three small functions with the same contract.
"""

import asyncio
from contextlib import asynccontextmanager

from hub.alerts.delivery import AlertDelivery, Recipient
from hub.alerts.episodes import EpisodeStore
from hub.alerts.rules import AlertRule

RULE = AlertRule.model_validate({
    "name": "bin-nearly-full", "title": {"fr": "Conteneur {bin_id} plein", "en": "Bin {bin_id} full"},
    "per": "bin_id", "when": {"column": "fill_level", "at_least": 90},
    "recipients": {"groups": ["officials"], "users": ["manager"]}})
PEOPLE = {"elu-rivemont": Recipient("elu-rivemont", "elu@rivemont.example", "fr"),
          "elu-bellecombe": Recipient("elu-bellecombe", "elu@bellecombe.example", "fr"),
          "manager": Recipient("manager", "manager@example.org", "en")}
RIVEMONT_BINS = {"CNT-1"}


def delivery(store, sent, failing=()):
    async def members(groups, users):
        assert list(groups) == ["officials"] and list(users) == ["manager"]
        return list(PEOPLE.values())

    @asynccontextmanager
    async def rights(recipient):
        async def may_read(dataset, column, value):
            assert (dataset, column) == ("waste_bins", "bin_id")
            return recipient.name != "elu-bellecombe" or value not in RIVEMONT_BINS
        yield may_read

    def send(recipient, subject, body):
        if recipient.name in failing:
            raise ConnectionError("mail server down")
        sent.append((recipient.email, subject, body))

    return AlertDelivery(store, lambda d, r: RULE if r == RULE.name else None, members,
                         rights, send, portal_url="http://127.0.0.1:8000/services/portal/")


def run(delivery):
    return asyncio.run(delivery.deliver())


def opened(store, *keys):
    """One refresh finding the bins `keys` (default CNT-1) nearly full."""
    active = {}
    for key in keys or ("CNT-1",):
        row = {"bin_id": key, "fill_level": 95.0}
        active[key] = (row, {lang: RULE.title_for(row, lang) for lang in ("fr", "en")})
    return store.update("waste_bins", RULE.name, active, "v7", "2026-12-01T06:00")


def test_each_recipient_who_may_read_the_row_is_told_once_in_their_language(tmp_path, state_url):
    store, sent = EpisodeStore(tmp_path / "a.sqlite", state_url), []
    opened(store)
    counts = run(delivery(store, sent))
    assert counts == {"told": 2, "not-visible": 1, "later": 0}
    assert sorted(to for to, _, _ in sent) == ["elu@rivemont.example", "manager@example.org"]
    subjects = dict((to, subject) for to, subject, _ in sent)
    assert subjects["elu@rivemont.example"] == "[Agora] Alerte : Conteneur CNT-1 plein"
    assert subjects["manager@example.org"] == "[Agora] Alert: Bin CNT-1 full"
    body = next(b for to, _, b in sent if to == "manager@example.org")
    assert "version v7" in body and "services/portal/datasets/waste_bins" in body
    assert run(delivery(store, sent)) == {"told": 0, "not-visible": 0, "later": 0}
    assert len(sent) == 2
    assert [e.key for _, e in store.notices_for("elu-rivemont")] == ["CNT-1"]
    assert store.notices_for("elu-bellecombe") == []


def test_a_failed_send_is_retried_next_round_and_no_one_is_told_twice(tmp_path, state_url):
    store, sent = EpisodeStore(tmp_path / "a.sqlite", state_url), []
    opened(store)
    first = run(delivery(store, sent, failing={"manager"}))
    assert first == {"told": 1, "not-visible": 1, "later": 1}
    assert [kind for _, kind, _ in store.undelivered()] == ["opened"]  # still owed
    second = run(delivery(store, sent))
    assert second == {"told": 1, "not-visible": 0, "later": 0}
    assert sorted(to for to, _, _ in sent) == ["elu@rivemont.example", "manager@example.org"]
    assert store.undelivered() == []


def test_alerts_owed_in_one_round_make_one_message_per_recipient(tmp_path, state_url):
    store, sent = EpisodeStore(tmp_path / "a.sqlite", state_url), []
    opened(store, "CNT-1", "CNT-2")
    counts = run(delivery(store, sent))
    assert counts == {"told": 5, "not-visible": 1, "later": 0}  # Bellecombe: CNT-2 only
    by_address = {to: (subject, body) for to, subject, body in sent}
    assert len(sent) == 3
    assert by_address["manager@example.org"][0] == "[Agora] 2 alerts"
    assert by_address["elu@bellecombe.example"][0] == "[Agora] Alerte : Conteneur CNT-2 plein"
    subject, body = by_address["elu@rivemont.example"]
    assert subject == "[Agora] 2 alertes"
    assert "Nouvelle alerte : Conteneur CNT-1 plein" in body and "CNT-2" in body


def test_the_end_of_an_episode_is_told_too_and_a_removed_rule_tells_no_one(tmp_path, state_url):
    store, sent = EpisodeStore(tmp_path / "a.sqlite", state_url), []
    opened(store)
    run(delivery(store, sent))
    store.update("waste_bins", RULE.name, {}, "v8", "2026-12-02T06:00")
    run(delivery(store, sent))
    assert [s for _, s, _ in sent if "Fin" in s] == ["[Agora] Fin d'alerte : Conteneur CNT-1 plein"]
    store.update("waste_bins", "old-rule", {"X": ({"bin_id": "X"}, {"fr": "x", "en": "x"})},
                 "v8", "2026-12-02T06:00")
    before = len(sent)
    run(delivery(store, sent))
    assert len(sent) == before and store.undelivered() == []
