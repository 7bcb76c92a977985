"""The scheduler service: dataset refreshes and report schedules, independent of users' servers.

One hub-managed process (hub/configure.py, ``scheduler_service``) with a least-privilege role:
``read:groups`` (who is in a recipient group) and ``tokens!group=<g>`` for the groups whose
members reports may run as (never admin, never ``tokens`` for every user). It hosts:

- the recipes' refresh schedules: hub.pipeline.schedule's runner, in a thread (what `agora
  refresh --watch` runs in the foreground);
- the reports loop (hub/reports/scheduler.py) on the asyncio loop;
- the reports API (hub/reports/api.py) on 127.0.0.1:``services.scheduler_port``.
"""
