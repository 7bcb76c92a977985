"""The dashboards' kernels: one per page view, owned by its viewer, warm, capped and culled.

:class:`DashboardKernelManager` is Voilà's ``multi_kernel_manager_class``. Voilà asks it for a
kernel when a viewer opens a dashboard (``start_kernel``); it then

- refuses politely (503) beyond ``max_kernels_per_viewer`` kernels of this viewer or
  ``max_kernels`` in total;
- hands out a *warm* kernel: one of ``warm_kernels`` started in advance, which already ran
  :data:`WARM_CODE` (ipywidgets, pandas, altair, Agora's widgets imported), else starts one;
- records the viewer as the kernel's owner (:meth:`owner_of`, read by access.py);
- never passes the service's environment on: a kernel gets :func:`kernel_environment`
  (no JUPYTERHUB_* variable, so not the service's token; the viewer's token arrives with
  the first cell, app.py), and, when the service runs as root, runs as an account of its own
  (kernel_accounts.py) with its connection file in its private home.

Culling is jupyter_server's (``cull_idle_timeout``, ``cull_interval``, ``cull_connected``
False: a kernel whose page is still open is kept), except that warm kernels waiting for a
viewer are never culled. Who is asking comes in :data:`VIEWER`, set by the page handler.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
from collections.abc import Mapping

from jupyter_server.services.kernels.kernelmanager import (
    AsyncMappingKernelManager,
    ServerKernelManager,
)
from tornado import web
from traitlets import Dict, Int

from .kernel_accounts import KernelAccount, KernelAccounts

VIEWER: contextvars.ContextVar[str | None] = contextvars.ContextVar("viewer", default=None)
WARM_CODE = "import ipywidgets, pandas, altair, widgets, widgets.chart, widgets.maps, widgets.kpi"
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH")


def kernel_environment(service_env: Mapping[str, str], extra: Mapping[str, str]) -> dict:
    """A kernel's whole environment: a few harmless variables of the service, plus `extra`
    (the datasets URL, the locale, HOME...). Nothing else: no token, no settings; no user
    site-packages (a home's files never become code)."""
    kept = {k: service_env[k] for k in KEPT_VARIABLES if k in service_env}
    return {**kept, "PYTHONNOUSERSITE": "1", **extra}


class CapReached(web.HTTPError):
    """Too many kernels: a polite refusal (503) that says to come back later."""

    def __init__(self, message: str):
        super().__init__(503, reason="Dashboards busy")
        self.message = message


class DashboardKernel(ServerKernelManager):
    """A kernel whose connection file lies in its own account's home, readable by it alone."""

    account: KernelAccount | None = None  # set by DashboardKernelManager.pre_start_kernel

    def write_connection_file(self, **kwargs) -> None:
        if self.account is not None:
            self.connection_file = os.path.join(self.account.home, "connection.json")
        super().write_connection_file(**kwargs)
        if self.account is not None:
            os.chown(self.connection_file, self.account.uid, self.account.gid)
            os.chmod(self.connection_file, 0o600)


class DashboardKernelManager(AsyncMappingKernelManager):
    max_kernels = Int(20, config=True, help="Kernels handed to viewers, in total.")
    max_kernels_per_viewer = Int(3, config=True, help="Kernels one viewer may hold.")
    warm_kernels = Int(2, config=True, help="Kernels started in advance, waiting for a viewer.")
    extra_env = Dict(config=True, help="Variables every kernel gets (datasets URL, locale).")

    accounts: KernelAccounts | None = None  # as root: one account per live kernel

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kernel_manager_class = f"{__name__}.DashboardKernel"
        self.owners: dict[str, str] = {}
        self.pending: dict[str, int] = {}  # kernels being started, per viewer
        self.ready: list[str] = []  # warm kernels that ran WARM_CODE
        self.warming: set[str] = set()
        self._warm_tasks: set[asyncio.Task] = set()

    # -- what Voilà calls ----------------------------------------------------------------------

    async def start_kernel(self, *, kernel_name=None, path=None, env=None, **kwargs) -> str:
        viewer = VIEWER.get()
        if not viewer:
            raise web.HTTPError(403)
        self.check_caps(viewer)
        self.pending[viewer] = self.pending.get(viewer, 0) + 1  # holds the slot meanwhile
        try:
            kernel_id = self.take_warm() or await self.start_clean(kernel_name)
        finally:
            self.pending[viewer] -= 1
        self.owners[kernel_id] = viewer
        self.refill()
        return kernel_id

    async def shutdown_kernel(self, kernel_id, now=False, restart=False):
        self.owners.pop(kernel_id, None)
        self.warming.discard(kernel_id)
        if kernel_id in self.ready:
            self.ready.remove(kernel_id)
        account = getattr(self._kernels.get(kernel_id), "account", None)
        try:
            await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        finally:
            if account is not None and not restart:
                self.accounts.release(account)
        self.refill()

    def pre_start_kernel(self, kernel_name, kwargs):
        account = kwargs.pop("agora_account", None)
        km, kernel_name, kernel_id = super().pre_start_kernel(kernel_name, kwargs)
        km.account = account
        return km, kernel_name, kernel_id

    async def cull_kernel_if_idle(self, kernel_id):
        if kernel_id in self.owners:  # a warm kernel waits for its viewer: never idle
            await super().cull_kernel_if_idle(kernel_id)

    # -- ownership and caps --------------------------------------------------------------------

    def owner_of(self, kernel_id: str) -> str | None:
        return self.owners.get(kernel_id)

    def check_caps(self, viewer: str) -> None:
        mine = sum(1 for owner in self.owners.values() if owner == viewer)
        mine += self.pending.get(viewer, 0)
        if mine >= self.max_kernels_per_viewer:
            raise CapReached(f"You already have {mine} dashboards open. Close one (or wait a "
                             "few minutes) and reload this page.")
        if len(self.owners) + sum(self.pending.values()) >= self.max_kernels:
            raise CapReached("Every dashboard slot is taken right now. Please reload this page "
                             "in a minute.")

    # -- warm and clean kernels ----------------------------------------------------------------

    def take_warm(self) -> str | None:
        if self.ready:
            return self.ready.pop(0)
        if self.warming:  # still importing: closer to ready than a new kernel
            kernel_id = next(iter(self.warming))
            self.warming.discard(kernel_id)
            return kernel_id
        return None

    async def start_clean(self, kernel_name=None) -> str:
        if self.accounts is None:  # not root: the service's account (docs/dashboards.md)
            env = kernel_environment(os.environ, self.extra_env)
            return await super().start_kernel(kernel_name=kernel_name, env=env)
        account = await asyncio.get_running_loop().run_in_executor(None, self.accounts.take)
        env = kernel_environment(os.environ, {**self.extra_env, "HOME": account.home,
                                              "USER": account.name, "LOGNAME": account.name})
        try:
            return await super().start_kernel(
                kernel_name=kernel_name, env=env, cwd=account.home, user=account.uid,
                group=account.gid, extra_groups=[], agora_account=account)
        except Exception:
            self.accounts.release(account)
            raise

    def refill(self) -> None:
        """Start warm kernels until `warm_kernels` wait (within the total cap)."""
        waiting = len(self.ready) + len(self.warming) + len(self._warm_tasks)
        room = self.max_kernels + self.warm_kernels - len(self.owners) - waiting
        for _ in range(max(0, min(self.warm_kernels - waiting, room))):
            task = asyncio.ensure_future(self.start_warm())
            self._warm_tasks.add(task)
            task.add_done_callback(self._warm_tasks.discard)

    async def start_warm(self) -> None:
        try:
            kernel_id = await self.start_clean()
        except Exception:
            self.log.exception("could not start a warm dashboard kernel")
            return
        self.warming.add(kernel_id)
        try:
            await self.run_warm_code(kernel_id)
        except Exception as exc:  # still usable: the notebook imports what it needs
            self.log.warning("warm-up of kernel %s failed: %s", kernel_id, exc)
        if kernel_id in self.warming:  # not handed out meanwhile
            self.warming.discard(kernel_id)
            self.ready.append(kernel_id)

    async def run_warm_code(self, kernel_id: str) -> None:
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive(WARM_CODE, store_history=False,
                                                     timeout=120, output_hook=lambda _: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(reply["content"].get("ename", "error"))
        finally:
            client.stop_channels()
