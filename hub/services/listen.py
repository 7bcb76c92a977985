"""Where a hub-managed service listens: the URL the hub gives it, or `services.listen_host`."""

from urllib.parse import urlparse


def listen_address(settings, environ, default_port: int) -> tuple[str, int]:
    """The host and port of JUPYTERHUB_SERVICE_URL (default 127.0.0.1 and `default_port`);
    `services.listen_host`, when set, replaces the host (0.0.0.0 in a Kubernetes pod, where
    the URL names the hub pod's Service, which no process can bind)."""
    url = urlparse(environ.get("JUPYTERHUB_SERVICE_URL") or "")
    host = settings.services.listen_host or url.hostname or "127.0.0.1"
    return host, url.port or default_port
