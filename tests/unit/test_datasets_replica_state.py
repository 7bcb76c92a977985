"""What replicas of the datasets service must share: the key of their cookies.

A browser's OAuth login may start on one replica (state cookie) and end on another (callback),
and its token cookie is then read by any of them: every replica's app must sign and read
cookies with the same key, derived from the service's API token.
"""

from __future__ import annotations

from tornado.web import create_signed_value, decode_signed_value

from hub.config.settings import DataSettings, HubSettings, Settings
from hub.services.datasets.http.app import app_from_settings, cookie_secret


def production_app(tmp_path, environ):
    settings = Settings(hub=HubSettings(data_dir=tmp_path),
                        data=DataSettings(catalog_dir=tmp_path / "catalog"))
    return app_from_settings(settings, environ)


def test_replicas_with_the_same_service_token_read_each_others_cookies(tmp_path):
    environ = {"JUPYTERHUB_API_TOKEN": "service-token-of-datasets"}
    one, two = production_app(tmp_path, environ), production_app(tmp_path, environ)
    try:
        secret = one.settings["cookie_secret"]
        cookie = create_signed_value(secret, "datasets-oauth-state", "state-id")
        assert decode_signed_value(two.settings["cookie_secret"], "datasets-oauth-state",
                                   cookie) == b"state-id"
    finally:
        for app in (one, two):
            app.settings["engine"].shutdown()


def test_the_cookie_key_is_neither_the_token_nor_shared_across_tokens():
    token = "service-token-of-datasets"
    key = cookie_secret({"JUPYTERHUB_API_TOKEN": token})
    assert len(key) == 32 and token.encode() not in key
    assert key != cookie_secret({"JUPYTERHUB_API_TOKEN": token + "-rotated"})


def test_without_a_service_token_each_process_has_its_own_random_key():
    assert cookie_secret({}) != cookie_secret({})
