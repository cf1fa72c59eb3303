"""The case workflow as one explicit transition table (pure data, no database).

Each action lists the statuses it may start from, the status it leads to, and who may take it:

- HOLDER: staff of the unit holding the case, with the named capability;
- SUPERIOR: staff of a unit above the holder, with the supervise capability;
- RESIDENT: the resident, through the tracking code;
- SYSTEM: background jobs.

`case_transition` in services.py is the only code that changes a case's status, and it asks this
table first. Docs: docs/CASES.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jiceng.cases.models import Status
from jiceng.orgs.roles import Capability


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    MERGE = "merge"
    DISPATCH = "dispatch"
    START = "start"
    RETURN = "return"
    TRANSFER = "transfer"
    APPROVE_TRANSFER = "approve_transfer"
    DENY_TRANSFER = "deny_transfer"
    RESOLVE = "resolve"
    CONFIRM = "confirm"  # feedback: solved or partly solved
    REOPEN = "reopen"  # feedback: not solved
    CLOSE_NO_FEEDBACK = "close_no_feedback"


class Who(StrEnum):
    HOLDER = "holder"
    SUPERIOR = "superior"
    RESIDENT = "resident"
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    who: frozenset[Who]
    capability: str | None = None


def _t(
    sources: set[Status], target: Status, who: set[Who], capability: str | None = None
) -> Transition:
    return Transition(frozenset(sources), target, frozenset(who), capability)


S = Status
HANDLE, DISPATCH, SUPERVISE = (
    Capability.CASE_HANDLE,
    Capability.CASE_DISPATCH,
    Capability.CASE_SUPERVISE,
)

TRANSITIONS: dict[Action, Transition] = {
    Action.ACCEPT: _t({S.SUBMITTED}, S.ACCEPTED, {Who.HOLDER}, HANDLE),
    Action.REJECT: _t({S.SUBMITTED, S.ACCEPTED}, S.REJECTED, {Who.HOLDER}, DISPATCH),
    Action.MERGE: _t({S.SUBMITTED, S.ACCEPTED}, S.MERGED, {Who.HOLDER}, DISPATCH),
    Action.DISPATCH: _t({S.ACCEPTED}, S.DISPATCHED, {Who.HOLDER}, DISPATCH),
    Action.START: _t({S.DISPATCHED}, S.IN_PROGRESS, {Who.HOLDER}, HANDLE),
    Action.RETURN: _t({S.DISPATCHED, S.IN_PROGRESS}, S.ACCEPTED, {Who.HOLDER}, HANDLE),
    # The first transfer goes straight to the new unit (DISPATCHED); later ones wait for the
    # superior (TRANSFER_PENDING): first-receiver responsibility, 首接负责制.
    Action.TRANSFER: _t(
        {S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}, S.DISPATCHED, {Who.HOLDER}, HANDLE
    ),
    Action.APPROVE_TRANSFER: _t({S.TRANSFER_PENDING}, S.DISPATCHED, {Who.SUPERIOR}, SUPERVISE),
    Action.DENY_TRANSFER: _t({S.TRANSFER_PENDING}, S.IN_PROGRESS, {Who.SUPERIOR}, SUPERVISE),
    Action.RESOLVE: _t({S.DISPATCHED, S.IN_PROGRESS}, S.RESOLVED, {Who.HOLDER}, HANDLE),
    Action.CONFIRM: _t({S.RESOLVED}, S.CLOSED, {Who.RESIDENT, Who.HOLDER}, HANDLE),
    Action.REOPEN: _t({S.RESOLVED}, S.IN_PROGRESS, {Who.RESIDENT, Who.HOLDER}, HANDLE),
    Action.CLOSE_NO_FEEDBACK: _t({S.RESOLVED}, S.CLOSED, {Who.SYSTEM}),
}


def allowed_from(status: str) -> list[Action]:
    """The actions the table allows from `status`, in table order."""
    return [action for action, transition in TRANSITIONS.items() if status in transition.sources]


def target_of(action: Action, *, transfer_count: int = 0) -> Status:
    """Where `action` leads; a transfer after the first waits for approval."""
    if action is Action.TRANSFER and transfer_count >= 1:
        return Status.TRANSFER_PENDING
    return TRANSITIONS[action].target
