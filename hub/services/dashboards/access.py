"""Who may do what in the dashboards service: hub login, kernel ownership, one 404.

- :class:`ServiceIdentityProvider`: JupyterHub's own identity provider (HubOAuth, the
  viewer's OAuth cookie or token), with its handlers under the service prefix (HubOAuth's
  base_url): the stock one registers ``/oauth_callback`` at the root, so login loops.
- :class:`KernelOwnerAuthorizer`: Voilà's default authorizer lets every logged-in user reach
  every kernel (GET /api/kernels/<id>, its websocket, DELETE). Here a kernel request is
  allowed only to the viewer the kernel was handed to (kernels.py records it); everything
  else a jupyter_server authorizer is asked about is refused.
"""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider


class ServiceIdentityProvider(JupyterHubIdentityProvider):
    def get_handlers(self):
        prefix = self.hub_auth.base_url
        return [(url_path_join(prefix, route), *rest) for route, *rest in super().get_handlers()]


def viewer_groups(user) -> set[str]:
    """The viewer's hub groups, from the user model HubOAuth got for their token."""
    return set((getattr(user, "hub_user", None) or {}).get("groups") or ())


class KernelOwnerAuthorizer(Authorizer):
    def is_authorized(self, handler, user, action, resource) -> bool:
        if user is None or resource != "kernels":
            return False
        kernel_id = handler.path_kwargs.get("kernel_id")
        manager = handler.settings["kernel_manager"]
        return bool(kernel_id) and manager.owner_of(kernel_id) == user.username
