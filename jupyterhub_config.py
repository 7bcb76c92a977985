"""JupyterHub configuration for Agora: load the settings, apply them, one hook. Nothing else.

Settings come from workspace.yaml (or $AGORA_CONFIG) and AGORA_* variables; see
docs/admin-guide.md. The logic lives in hub/configure.py, where it is unit-tested.
"""

import os

from hub.config.loading import load_settings
from hub.configure import HubInputs, apply
from hub.services.restart import poll_services_every

settings = load_settings()
apply(c, settings, HubInputs.read(settings, os.environ))  # noqa: F821 - JupyterHub provides `c`
poll_services_every()  # a crashed service is restarted in seconds (hub/services/restart.py)
