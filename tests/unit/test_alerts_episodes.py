"""The episode store shared by replicas (SQLite and PostgreSQL: `state_url`): refreshes that
judge the same rule at the same moment, each with its own connection, open one episode and
owe one notice."""

import pickle
import threading

from hub.alerts.episodes import EpisodeStore

ROW = {"bin_id": "CNT-1", "fill_level": 95.0}
TITLE = {"fr": "Conteneur CNT-1 plein", "en": "Bin CNT-1 full"}


def test_refreshes_at_the_same_moment_open_one_episode(tmp_path, state_url):
    stores = [EpisodeStore(tmp_path / "alerts.sqlite", state_url) for _ in range(4)]
    start, changes = threading.Barrier(len(stores)), []

    def judge(store):
        start.wait()
        changes.append(store.update("waste_bins", "full", {"CNT-1": (ROW, TITLE)}, "v1",
                                    "2026-12-01T06:00"))

    threads = [threading.Thread(target=judge, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(len(c.opened) for c in changes) == [0, 0, 0, 1]
    [episode] = stores[0].open_episodes()
    assert (episode.key, episode.row, episode.title) == ("CNT-1", ROW, TITLE)
    [(notice, kind, opened)] = stores[1].undelivered()
    assert (kind, opened.id) == ("opened", episode.id)
    assert stores[2].record_delivery(notice, "manager", "told", "2026-12-01T06:01")
    assert not stores[3].record_delivery(notice, "manager", "told", "2026-12-01T06:02")
    for store in stores:
        store.close()


def test_a_store_sent_to_another_process_opens_its_own_connection(tmp_path, state_url):
    """A refresh task pickled for a Dask worker carries the store's address, not its
    connection."""
    store = EpisodeStore(tmp_path / "alerts.sqlite", state_url)
    store.update("waste_bins", "full", {"CNT-1": (ROW, TITLE)}, "v1", "2026-12-01T06:00")
    copy = pickle.loads(pickle.dumps(store))
    assert copy.db is not store.db
    assert [e.key for e in copy.open_episodes()] == ["CNT-1"]
    store.close()
    copy.close()
