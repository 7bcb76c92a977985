"""`python -m hub.services.dashboards`: run the dashboards service (started by the hub).

Settings come from hub.config (AGORA_CONFIG and the AGORA_* variables of its service
definition, hub/configure.py). As root, kernels run as accounts of their own
(kernel_accounts.py), and Agora's packages are made importable to them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from hub.config.loading import load_settings
from hub.config.problems import ConfigProblems
from hub.configure import (
    dashboards_prefix,
    dashboards_public_url,
    datasets_public_url,
    widgets_environment,
)
from hub.lifecycle import exit_now

from .publications import PublicationStore

SHARE = Path(__file__).resolve().parents[3] / "widgets" / "share"  # the `agora` template


def kernel_accounts(settings):
    """As root, the pool of kernel accounts (one per live kernel); None otherwise."""
    if os.geteuid() != 0:
        return None
    from .kernel_accounts import KernelAccounts

    d = settings.dashboards
    return KernelAccounts(d.kernel_account_prefix, settings.home_root,
                          d.max_kernels + d.warm_kernels)


def kernel_pythonpath(switching: bool) -> str:
    """PYTHONPATH of the kernels: the service's, with a readable copy of `widgets` first
    when the kernels run as another account and the checkout is closed to it."""
    inherited = os.environ.get("PYTHONPATH", "")
    if not switching:
        return inherited
    from hub.workspaces.packages import workspace_pythonpath

    return os.pathsep.join(filter(None, [workspace_pythonpath(sys.executable), inherited]))


def publish_targets(settings) -> list[str]:
    """Groups the publish panel offers besides those already published to: the demo's."""
    if settings.auth.mode != "demo":
        return []
    from hub.login.demo_accounts import load_groups

    return sorted(load_groups())


def voila_config(settings, environ, switching: bool) -> Config:
    from .app import inject_identity

    d = settings.dashboards
    c = Config()
    # its own origin (hub/configure.py: no proxy route); every address in a Kubernetes pod
    c.Voila.ip = settings.services.listen_host or settings.hub.bind_host
    c.Voila.port = d.port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.base_url = dashboards_prefix(settings)
    c.HubOAuth.base_url = dashboards_prefix(settings)
    c.HubOAuth.hub_host = settings.hub.public_origin  # logins go to the hub's origin
    c.HubOAuth.oauth_redirect_uri = dashboards_public_url(settings) + "oauth_callback"
    publications = PublicationStore.from_settings(settings)
    c.Voila.root_dir = str(publications.root)
    c.Voila.identity_provider_class = "hub.services.dashboards.access.ServiceIdentityProvider"
    c.Voila.authorizer_class = "hub.services.dashboards.access.KernelOwnerAuthorizer"
    c.Voila.tornado_settings = {
        "publications": publications,
        "publishers": (list(settings.spawner.workspace_groups),
                       list(settings.spawner.workspace_users)),
        "publish_targets": publish_targets(settings),
        "dashboards_url": dashboards_public_url(settings)}
    v = c.VoilaConfiguration
    v.template = "agora"
    v.strip_sources = True
    v.show_tracebacks = False
    v.allow_template_override = "NO"
    v.allow_theme_override = "NO"
    v.file_allowlist = []
    v.prelaunch_hook = inject_identity
    v.multi_kernel_manager_class = "hub.services.dashboards.kernels.DashboardKernelManager"
    k = c.DashboardKernelManager
    k.max_kernels = d.max_kernels
    k.max_kernels_per_viewer = d.max_kernels_per_viewer
    k.warm_kernels = d.warm_kernels
    k.cull_idle_timeout = d.cull_idle_seconds
    k.cull_interval = d.cull_every_seconds
    k.cull_connected = False
    k.extra_env = {"AGORA_DATASETS_URL": datasets_public_url(settings),
                   "PYTHONPATH": kernel_pythonpath(switching),
                   **widgets_environment(settings)}
    return c


def main() -> int:
    try:
        settings = load_settings()
    except ConfigProblems as exc:
        print(f"dashboards service: settings have problems:\n{exc}", file=sys.stderr)
        return 2
    from .app import DashboardsVoila
    from .kernels import DashboardKernelManager

    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(SHARE), os.environ.get("JUPYTER_PATH")]))
    PublicationStore.from_settings(settings).root.mkdir(mode=0o700, parents=True, exist_ok=True)
    DashboardKernelManager.accounts = kernel_accounts(settings)
    config = voila_config(settings, os.environ, DashboardKernelManager.accounts is not None)
    app = DashboardsVoila(config=config, log_level=settings.hub.log_level)
    app.initialize([])
    app.start()  # returns once Voilà has shut its kernels down
    exit_now(0)


if __name__ == "__main__":
    sys.exit(main())
