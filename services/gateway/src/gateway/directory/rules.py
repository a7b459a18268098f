"""Pure directory rules: which kind of organisation sits under which, which role fits which kind, which
account may hold a role, and who manages which roles (issue #18)."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import available_timezones

KINDS = ("region", "aid_centre", "municipality", "service_unit", "buffer_store", "clinic", "care_organisation")
MEMBERSHIP_ROLES = ("aid_centre_staff", "prescriber", "controller", "store_keeper", "practitioner",
                    "care_coordinator", "client", "representative")

#: The kind an organisation's parent must be (None: it has no parent)
PARENT_KIND: dict[str, str | None] = {
    "region": None,
    "aid_centre": "region",
    "municipality": "region",
    "service_unit": "municipality",
    "buffer_store": "municipality",
    "clinic": None,
    "care_organisation": None,
}

#: The kinds of organisation a membership role is held in
ROLE_KINDS: dict[str, frozenset[str]] = {
    "aid_centre_staff": frozenset({"region", "aid_centre"}),
    "prescriber": frozenset({"service_unit"}),
    "controller": frozenset({"municipality"}),
    "store_keeper": frozenset({"buffer_store"}),
    "practitioner": frozenset({"clinic"}),
    "care_coordinator": frozenset({"care_organisation"}),
    "client": frozenset({"care_organisation"}),
    "representative": frozenset({"care_organisation"}),
}

#: The account roles (any one of them) an account needs to be given a membership role
ACCOUNT_ROLES_FOR: dict[str, frozenset[str]] = {
    "aid_centre_staff": frozenset({"aid_centre_staff"}),
    "prescriber": frozenset({"prescriber"}),
    "controller": frozenset({"controller"}),
    "store_keeper": frozenset({"prescriber", "aid_centre_staff"}),
    "practitioner": frozenset({"therapist"}),
    "care_coordinator": frozenset({"care_coordinator"}),
    "client": frozenset({"client"}),
    "representative": frozenset({"representative"}),
}

#: The membership an account made in an organisation gets for each of its account roles
MEMBERSHIP_FOR_ACCOUNT_ROLE: dict[str, str] = {
    "aid_centre_staff": "aid_centre_staff",
    "prescriber": "prescriber",
    "controller": "controller",
    "therapist": "practitioner",
    "care_coordinator": "care_coordinator",
    "client": "client",
    "representative": "representative",
}

#: Who grants what besides admins (who grant anything): the manager's membership role, held in the
#: organisation or above it → the roles they grant there
GRANTS: dict[str, frozenset[str]] = {
    "aid_centre_staff": frozenset({"prescriber", "store_keeper", "controller"}),
    "care_coordinator": frozenset({"client", "representative"}),
}

#: The kinds aid-centre staff create and change (under the municipalities of their region); admins: any
STAFF_KINDS = frozenset({"service_unit", "buffer_store"})

#: Roles whose holders see an organisation's members (besides admins)
MANAGERS = tuple(GRANTS)


def parent_problem(kind: str, parent_kind: str | None) -> str | None:
    """Why an organisation of ``kind`` cannot sit under a parent of ``parent_kind`` (None: no parent)."""
    wanted = PARENT_KIND[kind]
    if wanted is None and parent_kind is not None:
        return f"a {kind} has no parent organisation"
    if wanted is not None and parent_kind != wanted:
        return f"a {kind} belongs to a {wanted}" + (f", not to a {parent_kind}" if parent_kind else "; name it as parent_id")
    return None


def role_problem(role: str, kind: str) -> str | None:
    """Why ``role`` cannot be held in an organisation of ``kind``."""
    if kind in ROLE_KINDS[role]:
        return None
    return f"the role {role} is held in a {' or '.join(sorted(ROLE_KINDS[role]))}, not in a {kind}"


def account_problem(role: str, account_roles: Iterable[str]) -> str | None:
    """Why an account with ``account_roles`` cannot hold the membership ``role``."""
    needed = ACCOUNT_ROLES_FOR[role]
    if needed & set(account_roles):
        return None
    return f"the role {role} needs an account with the role {' or '.join(sorted(needed))}"


def managers_of(role: str) -> list[str]:
    """The membership roles whose holders grant ``role`` (besides admins)."""
    return sorted(manager for manager, roles in GRANTS.items() if role in roles)


def memberships_for(account_roles: Iterable[str]) -> list[str]:
    """The memberships a new account placed in an organisation gets, one per account role that has one."""
    return sorted({MEMBERSHIP_FOR_ACCOUNT_ROLE[r] for r in account_roles if r in MEMBERSHIP_FOR_ACCOUNT_ROLE})


def time_zone_problem(name: str) -> str | None:
    return None if name in _ZONES else f"{name!r} is not an IANA time zone (such as Europe/Stockholm)"


_ZONES = frozenset(available_timezones())
