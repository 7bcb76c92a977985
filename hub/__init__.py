"""Agora hub side: settings, JupyterHub configuration, policy, services and pipeline."""

__version__ = "0.1.0"
