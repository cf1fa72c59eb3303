"""The transition table, exhaustively: every action from every status, by every kind of actor."""

from __future__ import annotations

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case, EventKind, Status
from jiceng.cases.workflow import TRANSITIONS, Action, allowed_from
from jiceng.core.actors import ANONYMOUS, RESIDENT, SYSTEM
from jiceng.core.errors import DomainError
from jiceng.orgs.roles import Role
from tests.factories import actor_for, make_member

# The specification, written out by hand: who may take each action from each status, for a
# case held by 柳岸社区 (the community of the tree fixture). Everything not listed is forbidden.
HOLDER_HANDLERS = {"community_staff", "branch_secretary"}
HOLDER_DISPATCHER = {"branch_secretary"}
SUPERIORS = {"street_supervisor", "district_admin"}
ALLOWED: dict[tuple[Action, Status], set[str]] = {
    (Action.ACCEPT, Status.SUBMITTED): HOLDER_HANDLERS,
    (Action.REJECT, Status.SUBMITTED): HOLDER_DISPATCHER,
    (Action.REJECT, Status.ACCEPTED): HOLDER_DISPATCHER,
    (Action.MERGE, Status.SUBMITTED): HOLDER_DISPATCHER,
    (Action.MERGE, Status.ACCEPTED): HOLDER_DISPATCHER,
    (Action.DISPATCH, Status.ACCEPTED): HOLDER_DISPATCHER,
    (Action.START, Status.DISPATCHED): HOLDER_HANDLERS,
    (Action.RETURN, Status.DISPATCHED): HOLDER_HANDLERS,
    (Action.RETURN, Status.IN_PROGRESS): HOLDER_HANDLERS,
    (Action.TRANSFER, Status.ACCEPTED): HOLDER_HANDLERS,
    (Action.TRANSFER, Status.DISPATCHED): HOLDER_HANDLERS,
    (Action.TRANSFER, Status.IN_PROGRESS): HOLDER_HANDLERS,
    (Action.APPROVE_TRANSFER, Status.TRANSFER_PENDING): SUPERIORS,
    (Action.DENY_TRANSFER, Status.TRANSFER_PENDING): SUPERIORS,
    (Action.RESOLVE, Status.DISPATCHED): HOLDER_HANDLERS,
    (Action.RESOLVE, Status.IN_PROGRESS): HOLDER_HANDLERS,
    (Action.CONFIRM, Status.RESOLVED): HOLDER_HANDLERS | {"resident"},
    (Action.REOPEN, Status.RESOLVED): HOLDER_HANDLERS | {"resident"},
    (Action.CLOSE_NO_FEEDBACK, Status.RESOLVED): {"system"},
}
ACTOR_NAMES = [*Role.values, "resident", "system", "anonymous"]


def test_the_table_matches_the_specification():
    for action, transition in TRANSITIONS.items():
        assert transition.sources == {s for (a, s) in ALLOWED if a is action}, action
    for status in Status.values:
        assert set(allowed_from(status)) == {a for (a, s) in ALLOWED if s == status}


@pytest.fixture
def in_every_status(tree, submit, actors):
    """One case held by 柳岸社区 in each status, each reached through the services."""
    secretary = actors[Role.BRANCH_SECRETARY]
    community = tree.community_a1
    # Someone to hand a transferred case back and forth with, so a second transfer is possible.
    other = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="sec-gx"))

    def accepted():
        case = submit()
        return services.case_accept(case=case, actor=secretary)

    def dispatched():
        return services.case_dispatch(case=accepted(), actor=secretary, to_unit=community)

    def in_progress():
        return services.case_start(case=dispatched(), actor=secretary)

    def resolved():
        return services.case_resolve(case=in_progress(), actor=secretary, body="已处理完毕。")

    def transfer_pending():
        case = services.case_transfer(
            case=in_progress(), actor=secretary, to_unit=tree.community_a2, note="不属本社区"
        )
        services.case_transfer(case=case, actor=other, to_unit=community, note="属柳岸社区")
        case.refresh_from_db()
        # The second transfer waits: the case is still held by 桂香社区; hand the decision
        # back to our community for the matrix by approving, then transfer again twice.
        return case

    keep = submit(title="保留的诉求")
    cases = {
        Status.SUBMITTED: submit(),
        Status.ACCEPTED: accepted(),
        Status.DISPATCHED: dispatched(),
        Status.IN_PROGRESS: in_progress(),
        Status.RESOLVED: resolved(),
        Status.CLOSED: services.case_feedback(
            case=resolved(), actor=RESIDENT, solved="yes", satisfaction=5
        ).case,
        Status.REJECTED: services.case_reject(case=accepted(), actor=secretary, note="重复提交"),
        Status.MERGED: services.case_merge(case=submit(), actor=secretary, into=keep),
    }
    pending = transfer_pending()
    assert pending.status == Status.TRANSFER_PENDING
    cases[Status.TRANSFER_PENDING] = pending
    for status, case in cases.items():
        case.refresh_from_db()
        assert case.status == status
    return cases


def _actors(tree, actors):
    named = dict(actors)
    named.update({"resident": RESIDENT, "system": SYSTEM, "anonymous": ANONYMOUS})
    return named


def _expected(action: Action, status: Status, name: str, case: Case, tree) -> bool:
    allowed = ALLOWED.get((action, status), set())
    if status == Status.TRANSFER_PENDING:
        # This case is held by 桂香社区 (the second transfer came from there): its superiors are
        # the same street and the district; nobody of 柳岸社区 holds it.
        allowed = allowed - HOLDER_HANDLERS
    return name in allowed


def test_every_action_from_every_status_by_every_actor(tree, actors, in_every_status):
    named = _actors(tree, actors)
    checked = 0
    for status, case in in_every_status.items():
        for action in Action:
            for name in ACTOR_NAMES:
                expected = _expected(action, status, name, case, tree)
                got = services.can_take(named[name], case, action)
                assert got == expected, f"{name} {action} from {status}: {got}"
                checked += 1
    assert checked == len(Status.values) * len(Action) * len(ACTOR_NAMES)


def test_forbidden_moves_change_nothing(tree, actors, in_every_status):
    named = _actors(tree, actors)
    for status, case in in_every_status.items():
        events_before = case.events.count()
        for action in Action:
            for name in ACTOR_NAMES:
                if _expected(action, status, name, case, tree):
                    continue
                with pytest.raises(DomainError):
                    services.case_transition(case=case, action=action, actor=named[name])
                case.refresh_from_db()
                assert case.status == status
        assert case.events.count() == events_before


def test_stale_copies_are_refused(tree, submit, secretary):
    case = submit()
    stale = Case.objects.get(pk=case.pk)
    services.case_accept(case=case, actor=secretary)
    with pytest.raises(DomainError) as error:
        services.case_accept(case=stale, actor=secretary)
    assert error.value.status == 409


class TestJourneys:
    def test_happy_path_leaves_a_complete_timeline(self, tree, submit, actors):
        secretary, worker = actors[Role.BRANCH_SECRETARY], actors[Role.GRID_WORKER]
        case = submit()
        assert case.current_unit == tree.community_a1
        services.case_accept(case=case, actor=secretary)
        assert case.accepted_by_unit == tree.community_a1 and case.accepted_at is not None
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.grid_a1)
        assert case.current_unit == tree.grid_a1 and case.current_path == tree.grid_a1.path
        services.case_start(case=case, actor=worker)
        services.case_resolve(case=case, actor=worker, body="已联系环卫公司清运，现场已清理干净。")
        assert case.resolved_by_unit == tree.grid_a1 and case.feedback_due > case.resolved_at
        feedback = services.case_feedback(
            case=case, actor=RESIDENT, solved="partly", satisfaction=4
        )
        case.refresh_from_db()
        assert case.status == Status.CLOSED and case.close_reason == "feedback"
        assert feedback.channel == "tracking" and feedback.round == 1
        kinds = list(case.events.values_list("kind", flat=True))
        assert kinds == [
            EventKind.SUBMITTED,
            EventKind.ACCEPTED,
            EventKind.DISPATCHED,
            EventKind.STARTED,
            EventKind.RESOLVED,
            EventKind.FEEDBACK,
        ]
        assert case.replies.get().is_resolution

    def test_not_solved_reopens_with_a_new_deadline(self, tree, submit, secretary):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        services.case_resolve(case=case, actor=secretary, body="已处理。")
        services.case_feedback(case=case, actor=RESIDENT, solved="no", satisfaction=1)
        case.refresh_from_db()
        assert case.status == Status.IN_PROGRESS and case.reopen_count == 1
        assert case.resolved_at is None and case.feedback_due is None
        services.case_resolve(case=case, actor=secretary, body="再次处理，已彻底解决。")
        second = services.case_feedback(case=case, actor=RESIDENT, solved="yes", satisfaction=5)
        assert second.round == 2

    def test_return_goes_back_to_the_dispatcher(self, tree, submit, actors):
        secretary, worker = actors[Role.BRANCH_SECRETARY], actors[Role.GRID_WORKER]
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.grid_a1)
        with pytest.raises(DomainError):
            services.case_return(case=case, actor=worker, note="  ")
        services.case_return(case=case, actor=worker, note="不在本网格范围")
        assert case.status == Status.ACCEPTED and case.current_unit == tree.community_a1
        assert case.events.last().note == "不在本网格范围"

    def test_second_transfer_waits_for_the_superior(self, tree, submit, actors):
        secretary = actors[Role.BRANCH_SECRETARY]
        other = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="gx"))
        supervisor = actors[Role.STREET_SUPERVISOR]
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_transfer(case=case, actor=secretary, to_unit=tree.community_a2, note="属桂香")
        assert case.status == Status.DISPATCHED and case.current_unit == tree.community_a2
        assert case.transfer_count == 1
        services.case_transfer(case=case, actor=other, to_unit=tree.community_a1, note="属柳岸")
        assert case.status == Status.TRANSFER_PENDING
        assert case.current_unit == tree.community_a2
        assert case.pending_transfer_to == tree.community_a1
        with pytest.raises(DomainError):
            services.case_decide_transfer(case=case, actor=supervisor, approve=False, note="")
        services.case_decide_transfer(case=case, actor=supervisor, approve=False, note="请桂香办理")
        assert case.status == Status.IN_PROGRESS and case.current_unit == tree.community_a2
        assert case.pending_transfer_to is None and case.transfer_count == 1
        services.case_transfer(case=case, actor=other, to_unit=tree.community_a1, note="确属柳岸")
        services.case_decide_transfer(case=case, actor=supervisor, approve=True)
        assert case.status == Status.DISPATCHED and case.current_unit == tree.community_a1
        assert case.transfer_count == 2
        kinds = list(case.events.values_list("kind", flat=True))
        assert kinds.count(EventKind.TRANSFER_REQUESTED) == 2
        assert EventKind.TRANSFER_DENIED in kinds and EventKind.TRANSFER_APPROVED in kinds

    def test_transfers_stay_under_the_same_parent(self, tree, submit, secretary):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        with pytest.raises(DomainError):
            services.case_transfer(
                case=case, actor=secretary, to_unit=tree.community_b1, note="试试"
            )
        with pytest.raises(DomainError):
            services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a2)

    def test_merge_links_the_duplicate(self, tree, submit, secretary):
        keep, duplicate = submit(), submit()
        services.case_merge(case=duplicate, actor=secretary, into=keep)
        assert duplicate.status == Status.MERGED and duplicate.merged_into == keep
        assert keep.events.filter(kind=EventKind.SUPPORTED).exists()
        with pytest.raises(DomainError):
            services.case_merge(case=submit(), actor=secretary, into=duplicate)

    def test_reject_needs_a_reason(self, tree, submit, secretary):
        case = submit()
        with pytest.raises(DomainError):
            services.case_reject(case=case, actor=secretary, note="")
        services.case_reject(case=case, actor=secretary, note="与本平台职责无关")
        assert case.status == Status.REJECTED and case.closed_at is not None
