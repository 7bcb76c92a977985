"""`python -m hub.cli`: the `agora` command (what the scheduled services run)."""

import sys

from .main import main

sys.exit(main())
