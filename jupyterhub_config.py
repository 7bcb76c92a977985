"""JupyterHub configuration for Agora: load the settings, apply them. Nothing else here.

Settings come from workspace.yaml (or $AGORA_CONFIG) and AGORA_* variables; see
docs/admin-guide.md. The logic lives in hub/configure.py, where it is unit-tested.
"""

import os

from hub.config.loading import load_settings
from hub.configure import HubInputs, apply

settings = load_settings()
apply(c, settings, HubInputs.read(settings, os.environ))  # noqa: F821 - JupyterHub provides `c`
