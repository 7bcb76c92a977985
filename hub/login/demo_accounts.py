"""The embedded default's demo accounts and groups, covering Agora's real roles.

The fictional territory uses INSEE-like codes in department 99, which INSEE reserves for
places abroad, so a demo code can never be mistaken for a real French commune.
Demo accounts exist only while the hub binds a loopback address (see hub/login/authenticators.py).
Each has an e-mail address (``<name>@example.org``) and a language for scheduled reports; with
OIDC these come from the provider's claims (hub/login/claims.py, ``contact_claims``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: str
    groups: tuple[str, ...]
    admin: bool = False
    language: str = "fr"  # of the e-mails the scheduler sends them (hub/reports/contacts.py)

    @property
    def email(self) -> str:
        """Where reports reach them: an address of example.org, reserved for examples."""
        return f"{self.name}@example.org"


@dataclass(frozen=True)
class DemoGroup:
    name: str
    description: str
    properties: dict = field(default_factory=dict)


COMMUNES = {"99101": "Rivemont", "99102": "Bellecombe"}

GROUPS = (
    DemoGroup("analysts", "Data team: explores every internal dataset in notebooks"),
    DemoGroup("officials", "Elected officials: read dashboards for their territory"),
    DemoGroup("partners", "Partner organisations: shared datasets through the API"),
    DemoGroup("schedulers", "Report owners: schedule PDF reports"),
    DemoGroup("admins", "Administrators of the workspace"),
    *(
        DemoGroup(f"commune-{code}", f"Officials of {label}",
                  {"territories": [code], "label": label})
        for code, label in COMMUNES.items()
    ),
)

ACCOUNTS = (
    DemoAccount("analyst", "analyst: explores data in notebooks", ("analysts",)),
    DemoAccount("elu-rivemont", "elected official of Rivemont (99101)",
                ("officials", "commune-99101")),
    DemoAccount("elu-bellecombe", "elected official of Bellecombe (99102)",
                ("officials", "commune-99102")),
    DemoAccount("partner", "user at a partner organisation", ("partners",), language="en"),
    DemoAccount("scheduler", "report scheduler", ("schedulers", "analysts")),
    DemoAccount("admin", "administrator", ("admins", "analysts"), admin=True),
)


def accounts_by_name() -> dict[str, DemoAccount]:
    return {account.name: account for account in ACCOUNTS}


def load_groups() -> dict[str, dict]:
    """JupyterHub's `load_groups` value: members and properties of every demo group."""
    return {
        group.name: {
            "users": [a.name for a in ACCOUNTS if group.name in a.groups],
            "properties": {"description": group.description, **group.properties},
        }
        for group in GROUPS
    }
