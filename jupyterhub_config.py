"""JupyterHub configuration for Agora: load the settings, apply them. Nothing else here.

Settings come from workspace.yaml (or $AGORA_CONFIG) and AGORA_* variables; see
docs/admin-guide.md. The logic lives in hub/configure.py, where it is unit-tested.
"""

from hub.configure import apply, prepare_data_dir
from hub.settings import load_settings

settings = load_settings()
prepare_data_dir(settings)
apply(c, settings)  # noqa: F821 - `c` is provided by JupyterHub
