"""Roles a membership can give, where each may be held, and what each may do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    TOWNSHIP = "township", _("Township")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")


# The level of each kind in the tree (district → street/township → community/village → grid).
KIND_LEVEL = {
    UnitKind.DISTRICT: 0,
    UnitKind.STREET: 1,
    UnitKind.TOWNSHIP: 1,
    UnitKind.COMMUNITY: 2,
    UnitKind.VILLAGE: 2,
    UnitKind.GRID: 3,
}

CHILD_KINDS: dict[str, tuple[str, ...]] = {
    UnitKind.DISTRICT: (UnitKind.STREET, UnitKind.TOWNSHIP),
    UnitKind.STREET: (UnitKind.COMMUNITY, UnitKind.VILLAGE),
    UnitKind.TOWNSHIP: (UnitKind.COMMUNITY, UnitKind.VILLAGE),
    UnitKind.COMMUNITY: (UnitKind.GRID,),
    UnitKind.VILLAGE: (UnitKind.GRID,),
    UnitKind.GRID: (),
}


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    STREET_SUPERVISOR = "street_supervisor", _("Street supervisor")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    DISCIPLINE_INSPECTOR = "discipline_inspector", _("Discipline inspector")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


ROLE_UNIT_KINDS: dict[str, tuple[str, ...]] = {
    Role.GRID_WORKER: (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.VILLAGE),
    Role.COMMUNITY_STAFF: (UnitKind.COMMUNITY, UnitKind.VILLAGE),
    Role.BRANCH_SECRETARY: (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID),
    Role.STREET_SUPERVISOR: (UnitKind.STREET, UnitKind.TOWNSHIP),
    Role.DISTRICT_ADMIN: (UnitKind.DISTRICT,),
    Role.DISCIPLINE_INSPECTOR: (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.TOWNSHIP),
    Role.SYSTEM_ADMIN: (UnitKind.DISTRICT,),
}


class Capability:
    """Named abilities; policies ask for these rather than for roles."""

    BROWSE_UNITS = "units.browse"
    EDIT_UNITS = "units.edit"
    MANAGE_USERS = "users.manage"
    GRANT_ADMIN_ROLES = "users.grant_admin"
    MANAGE_API_KEYS = "api_keys.manage"
    USE_ADMIN_SITE = "admin.use"
    MANAGE_CALENDAR = "calendar.manage"
    CASE_HANDLE = "cases.handle"  # accept, start, reply, resolve, return, transfer, enter
    CASE_DISPATCH = "cases.dispatch"  # dispatch, reject, merge
    CASE_SUPERVISE = "cases.supervise"  # approve transfers, receive escalations
    CASE_CONFIGURE = "cases.configure"  # categories, deadlines, district-wide templates
    EVAL_CONFIGURE = "evaluation.configure"  # schemes, rounds, surveys, publication, appeals
    EVAL_SELF_ASSESS = "evaluation.self_assess"  # the unit's self-assessment and its appeals
    EVAL_RATE = "evaluation.rate"  # may be appointed rater; returns self-assessments below
    SUPPORT_RECORD = "support.record"  # log activities, duty, care visits, rectification progress
    SUPPORT_MANAGE = "support.manage"  # the unit's venues, rosters, equipment, care list, ledger
    FUNDS_APPROVE = "funds.approve"  # approve the unit's expenditures above the threshold
    SUPERVISE = "supervision.conduct"  # spot checks, supervision visits, verify rectification


_HANDLER = {Capability.CASE_HANDLE, Capability.SUPPORT_RECORD}
_DISPATCHER = {Capability.CASE_HANDLE, Capability.CASE_DISPATCH, Capability.SUPPORT_RECORD}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset(_HANDLER),
    Role.COMMUNITY_STAFF: frozenset({*_HANDLER, Capability.SUPPORT_MANAGE}),
    Role.BRANCH_SECRETARY: frozenset(
        {
            Capability.CASE_SUPERVISE,
            Capability.EVAL_SELF_ASSESS,
            Capability.SUPPORT_MANAGE,
            Capability.FUNDS_APPROVE,
            *_DISPATCHER,
        }
    ),
    Role.STREET_SUPERVISOR: frozenset(
        {
            Capability.BROWSE_UNITS,
            Capability.CASE_SUPERVISE,
            Capability.EVAL_SELF_ASSESS,
            Capability.EVAL_RATE,
            Capability.SUPPORT_MANAGE,
            Capability.FUNDS_APPROVE,
            Capability.SUPERVISE,
            *_DISPATCHER,
        }
    ),
    Role.DISCIPLINE_INSPECTOR: frozenset({Capability.BROWSE_UNITS}),
    Role.DISTRICT_ADMIN: frozenset(
        {
            *_DISPATCHER,
            Capability.CASE_SUPERVISE,
            Capability.CASE_CONFIGURE,
            Capability.BROWSE_UNITS,
            Capability.EDIT_UNITS,
            Capability.MANAGE_USERS,
            Capability.MANAGE_CALENDAR,
            Capability.EVAL_CONFIGURE,
            Capability.EVAL_RATE,
            Capability.SUPERVISE,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(
        {
            Capability.BROWSE_UNITS,
            Capability.EDIT_UNITS,
            Capability.MANAGE_USERS,
            Capability.GRANT_ADMIN_ROLES,
            Capability.MANAGE_API_KEYS,
            Capability.USE_ADMIN_SITE,
            Capability.MANAGE_CALENDAR,
        }
    ),
}

# Roles only a holder of GRANT_ADMIN_ROLES may hand out.
ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN})


def role_has_capability(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


# What each role is here to do, shown on the staff home page.
ROLE_DUTIES: dict[str, tuple[StrOrPromise, ...]] = {
    Role.GRID_WORKER: (
        _("Handle the requests of residents in your grid and reply to them in time."),
        _("Log activities at the service venue and record visits to households on the care list."),
    ),
    Role.COMMUNITY_STAFF: (
        _("Handle your community's requests, reply to residents and call them back."),
        _("Keep the service venue open during its posted hours and log what happens there."),
    ),
    Role.BRANCH_SECRETARY: (
        _("Accept and dispatch requests, approve transfers and keep deadlines."),
        _("Submit your unit's self-assessment and answer supervision findings."),
    ),
    Role.STREET_SUPERVISOR: (
        _("See every unit below you; escalated requests land with you."),
        _("Run supervision visits and spot checks, and rate the units below you."),
    ),
    Role.DISTRICT_ADMIN: (
        _("Configure categories, deadlines and evaluation schemes for the district."),
        _("Manage units and staff accounts, and publish rankings."),
    ),
    Role.DISCIPLINE_INSPECTOR: (
        _("Receive misconduct reports about the units below you, investigate and answer them."),
        _("Reporters' identities are yours alone: never share them with the unit concerned."),
    ),
    Role.SYSTEM_ADMIN: (
        _("Manage accounts, API keys and the calendar of holidays."),
        _("Keep backups and verify the audit log."),
    ),
}
