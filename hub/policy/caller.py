"""Who is asking: name, groups and attributes, built from the hub's own records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    name: str
    groups: frozenset[str] = frozenset()
    attributes: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def in_any(self, groups: Iterable[str]) -> bool:
        return not self.groups.isdisjoint(groups)

    def attribute(self, name: str) -> frozenset[str]:
        return self.attributes.get(name, frozenset())


def _as_values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return [str(value)]


def merge_attributes(*sources: Mapping[str, object]) -> dict[str, frozenset[str]]:
    """Union of values per attribute across sources (group properties, identity claims):
    a source can add values to an attribute, never take values away."""
    merged: dict[str, set[str]] = {}
    for source in sources:
        for key, value in (source or {}).items():
            merged.setdefault(key, set()).update(_as_values(value))
    return {key: frozenset(values) for key, values in merged.items()}


def caller_from_hub_model(user: Mapping, group_properties: Mapping[str, Mapping],
                          claims: Mapping | None = None,
                          claim_attributes: Iterable[str] = ()) -> Caller:
    """A Caller from the hub API's user model, its groups' properties and selected claims."""
    groups = frozenset(user.get("groups") or ())
    from_groups = [group_properties.get(g, {}) for g in sorted(groups)]
    from_claims = {k: (claims or {}).get(k) for k in claim_attributes if (claims or {}).get(k)}
    return Caller(user["name"], groups, merge_attributes(*from_groups, from_claims))
