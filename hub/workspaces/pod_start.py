"""A workspace pod's entry point: prepare the home as local workspaces do, then run the server.

The singleuser image (deploy/kubernetes/singleuser/Dockerfile) starts
``python -m hub.workspaces.pod_start jupyterhub-singleuser ...``: Agora's JupyterLab offline
config and the missing starter notebooks are written into $HOME (as the pod's own account),
then the command replaces this process, with JUPYTER_CONFIG_PATH naming that config.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .lab_config import config_folder
from .starter import NOTEBOOKS, prepare_home, starter_notebooks


def server_environment(home: str, environ: dict) -> dict:
    return {**environ, "JUPYTER_CONFIG_PATH": config_folder(home)}


def main(argv: list[str] | None = None, environ: dict | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    environ = dict(os.environ if environ is None else environ)
    if not args:
        sys.exit("usage: python -m hub.workspaces.pod_start COMMAND [ARG...]")
    home = environ.get("HOME") or os.getcwd()
    notebooks = Path(environ.get("AGORA_STARTER_NOTEBOOKS") or NOTEBOOKS)
    prepare_home(home, starter_notebooks(notebooks))
    os.execvpe(args[0], args, server_environment(home, environ))


if __name__ == "__main__":
    main()
