"""Alerts: rules in a dataset's recipe, judged after each refresh of that dataset.

``rules.py`` (what a steward writes), ``evaluate.py`` (the rule on the snapshot),
``episodes.py`` (episodes and notices, once per episode), ``delivery.py`` (each recipient
told by e-mail and in the portal, only about rows they may read). docs/alerts.md.
"""
