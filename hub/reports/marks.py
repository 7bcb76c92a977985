"""What the runner and its subprocess agree on: the tags of the cells that are not the
template's, and the prefix of the subprocess's progress lines."""

PROGRESS = "agora-progress "  # + {"cell": n, "cells": total}, one line per cell started
INJECTED = "injected-parameters"  # papermill's tag on the cell it adds
LINEAGE_TAG = "agora-lineage"  # the runner's last cell (hub/reports/execute.py)
