"""dask-gateway for Agora on one machine: clusters for the hub's analysts, logged in by the hub.

    dask-gateway-server -f deploy/dask-gateway/dask_gateway_config.py

Reads from its environment: JUPYTERHUB_API_URL (the hub's API, e.g.
http://127.0.0.1:8081/hub/api: hub.hub_port, hub.bind_url's path), JUPYTERHUB_API_TOKEN (the
value of the hub's AGORA_DASK_GATEWAY_TOKEN), AGORA_GATEWAY_LISTEN (host:port, default
127.0.0.1:8000; batch.gateway_url points there), AGORA_GATEWAY_DATA_DIR (its database; unset:
in memory, clusters forgotten at restart) with DASK_GATEWAY_ENCRYPT_KEYS, and
AGORA_GATEWAY_MAX_WORKERS (default 4). UnsafeLocalBackend: clusters run as the gateway's own
account, with no separation between users; for a trial and the tests only (production: the
dask-gateway Helm chart, docs/pipeline.md#dask-clusters-for-analysts-dask-gateway).
"""

import os
import sys

c = get_config()  # noqa: F821 - dask-gateway-server provides get_config

c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
# the service name Agora registers (hub/configure.py GATEWAY_SERVICE): its access scope decides
c.JupyterHubAuthenticator.jupyterhub_service_name = "dask-gateway"
c.JupyterHubAuthenticator.use_service_access_scopes = True

c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.Proxy.address = os.environ.get("AGORA_GATEWAY_LISTEN", "127.0.0.1:8000")

# distributed 2026 has no dask-scheduler / dask-worker scripts; this Python's `dask` has them
c.ClusterConfig.scheduler_cmd = [sys.executable, "-m", "dask", "scheduler"]
c.ClusterConfig.worker_cmd = [sys.executable, "-m", "dask", "worker"]
c.ClusterConfig.worker_cores = 1
c.ClusterConfig.worker_memory = "1 G"
c.ClusterConfig.cluster_max_workers = int(os.environ.get("AGORA_GATEWAY_MAX_WORKERS", "4"))
c.ClusterConfig.idle_timeout = 3600  # a forgotten cluster stops after an idle hour

data_dir = os.environ.get("AGORA_GATEWAY_DATA_DIR")
if data_dir:  # clusters survive a restart; needs DASK_GATEWAY_ENCRYPT_KEYS (openssl rand -base64 32)
    c.LocalBackend.db_url = f"sqlite:///{os.path.join(data_dir, 'dask-gateway.sqlite')}"
    c.LocalBackend.clusters_directory = os.path.join(data_dir, "clusters")
