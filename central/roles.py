"""Staff roles and what each may do: one table, so the API and the admin pages agree.

Least privilege: an operator runs the jobs and the follow-up of registrations, a maintainer
keeps stations running (health, diagnostics), an admin configures the county and its people.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "operator", "maintainer"]
ROLES: tuple[Role, ...] = ("admin", "operator", "maintainer")

Action = Literal[
    "view_stations",      # the health list, a station's config and jobs as the station sees them
    "edit_config",        # county and station configuration (PIN hash, radius, banner...)
    "edit_jobs",
    "edit_policies",
    "manage_stations",    # add, disable, enrol, rotate tokens
    "manage_staff",       # add, disable, reset passwords
    "view_applications",  # the follow-up inbox, masked
    "reveal_contact",     # unmask a seeker's contact (logged)
    "audit_access",       # read and export the access log of revealed contacts
    "send_commands",      # remote diagnostics
    "ack_alerts",         # acknowledge a station alert ("I am on it")
    "review_reports",     # seekers' reports of jobs: see them, uphold or dismiss (issue 16)
    "verify_employers",   # add employers, mark them verified (licence seen)
    "edit_wages",         # the county's guidance wages and the report threshold
]

_ALLOWED: dict[Action, frozenset[Role]] = {
    "view_stations": frozenset(ROLES),
    "edit_config": frozenset({"admin"}),
    "edit_jobs": frozenset({"admin", "operator"}),
    "edit_policies": frozenset({"admin", "operator"}),
    "manage_stations": frozenset({"admin"}),
    "manage_staff": frozenset({"admin"}),
    "view_applications": frozenset({"admin", "operator"}),
    "reveal_contact": frozenset({"admin", "operator"}),
    "audit_access": frozenset({"admin"}),
    "send_commands": frozenset({"admin", "maintainer"}),
    "ack_alerts": frozenset({"admin", "maintainer"}),
    "review_reports": frozenset({"admin", "operator"}),
    "verify_employers": frozenset({"admin"}),
    "edit_wages": frozenset({"admin"}),
}


def may(role: str, action: Action) -> bool:
    """True if a staff member with `role` may do `action`; unknown roles may do nothing."""
    return role in _ALLOWED[action]
