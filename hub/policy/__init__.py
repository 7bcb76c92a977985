"""Agora's access policy: who may read a dataset, which rows, which columns.

One policy, evaluated here and nowhere else, for every path (catalog, metadata, records,
exports, DCAT, reports, dashboards). Rules are structured data from the recipes' `access`
sections — never SQL text — validated at load time; a broken policy fails closed.

Evaluation order for a caller and a dataset (each step is one small function in evaluate.py):

1. ``may_read``: the caller is named in ``access.users`` or belongs to one of ``access.groups``.
   Otherwise the dataset does not exist for them (same answer as an unknown dataset). Being a
   hub admin grants no data access by itself.
2. ``row_filters``: every row rule that applies to the caller (``applies_to_groups`` empty or
   shared, and the caller in none of its ``exempt_groups``) keeps only rows whose ``column`` is in
   the caller's attribute ``in_attribute`` (e.g. territories). Several rules combine with AND.
   A missing or empty attribute keeps no rows (fail closed).
3. ``column_actions``: every column rule that applies (caller not in its ``exempt_groups``) hides,
   pseudonymises (keyed HMAC, pseudonym.py) or generalises (number bands: bands.py) the column.
4. ``min_group_size``: the recipe's ``access.min_group_size``, unless the caller has *raw
   access* (no row rule and no column rule applied in steps 2-3). Aggregates then withhold
   the measures of groups with fewer rows (suppression.py says which groups).

Caller attributes come from JupyterHub group properties and identity-provider claims.
"""
