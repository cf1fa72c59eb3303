"""Care-list services: households, schedules, visits, needs turned into requests, the metric."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from jiceng.cases.models import Case, Category, Channel, Status
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from jiceng.support import care_services
from jiceng.support.care_selectors import care_visit_completion
from jiceng.support.care_services import CareDetails, care_today
from jiceng.support.models.care import CareNeed, CareTarget, CareVisit
from tests.factories import actor_for, make_member

PHONE = "13812345678"
ID4 = "123X"
NAME = "李奶奶"
ADDRESS = "柳岸路88号3号楼201"


@pytest.fixture
def actors(tree):
    return {role: actor_for(user) for role, user in tree.people.items()}


def membership(tree, role):
    return Membership.objects.get(user=tree.people[role])


def details(**overrides):
    fields = {
        "category": "elderly_alone",
        "name": NAME,
        "address": ADDRESS,
        "phone": PHONE,
        "id_last4": ID4,
        "notes": "独居，行动不便",
        "frequency": "weekly",
        "first_due_on": care_today(),
    }
    fields.update(overrides)
    return CareDetails(**fields)


def make_target(tree, unit=None, *, actor=SYSTEM, responsible=(), **overrides):
    return care_services.care_target_create(
        actor=actor,
        unit=unit or tree.community_a1,
        details=details(**overrides),
        responsible=list(responsible),
    )


def visit(target, *, actor=SYSTEM, on=None, needs=(), **overrides):
    fields = {
        "actor": actor,
        "target": target,
        "visited_on": on or care_today(),
        "form": "home",
        "findings": "身体尚好，家中整洁。",
        "needs": list(needs),
    }
    fields.update(overrides)
    if actor is SYSTEM and "visitor" not in fields:
        fields["visitor"] = target.responsible.first()
    return care_services.care_visit_record(**fields)


class TestTargets:
    def test_staff_put_a_household_on_the_list_and_the_audit_log_keeps_no_personal_data(
        self, tree, actors
    ):
        grid_worker = membership(tree, Role.GRID_WORKER)
        target = make_target(
            tree, actor=actors[Role.COMMUNITY_STAFF], responsible=[grid_worker], first_due_on=None
        )
        assert target.unit_path == tree.community_a1.path
        assert target.next_due_on == target.first_due_on == care_today()
        assert list(target.responsible.all()) == [grid_worker]
        entry = AuditEntry.objects.get(action="support.care.created")
        logged = json.dumps(entry.data, ensure_ascii=False) + entry.target_label
        for secret in (PHONE, ID4, NAME, ADDRESS, "5678"):
            assert secret not in logged
        assert entry.data["responsible"] == [grid_worker.pk]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"id_last4": "11010519491231002X"}, "id_last4"),  # a full ID number: never stored
            ({"id_last4": "12"}, "id_last4"),
            ({"id_last4": "12Y4"}, "id_last4"),
            ({"id_last4": "１２３４"}, "id_last4"),  # full-width digits
            ({"phone": "12345"}, "phone"),
            ({"phone": "1381234567x"}, "phone"),
            ({"name": "   "}, "name"),
            ({"name": "名" * 51}, "name"),
            ({"address": ""}, "address"),
            ({"notes": "x" * 1001}, "notes"),
            ({"category": "rich"}, "category"),
            ({"frequency": "yearly"}, "frequency"),
            ({"frequency": "days", "interval_days": None}, "interval_days"),
            ({"frequency": "days", "interval_days": 0}, "interval_days"),
            ({"frequency": "days", "interval_days": 400}, "interval_days"),
            ({"first_due_on": date(2000, 1, 1)}, "first_due_on"),
        ],
    )
    def test_bad_details_are_refused_and_nothing_is_stored(self, tree, actors, overrides, field):
        with pytest.raises(DomainError) as refused:
            make_target(tree, actor=actors[Role.BRANCH_SECRETARY], **overrides)
        assert refused.value.field == field
        assert not CareTarget.objects.exists()
        assert not AuditEntry.objects.filter(action__startswith="support.care").exists()

    def test_the_id_fragment_is_stored_upper_case(self, tree):
        assert make_target(tree, id_last4="123x").id_last4 == "123X"

    @pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN])
    def test_roles_that_do_not_manage_the_list_are_refused(self, tree, actors, role):
        with pytest.raises(Forbidden):
            make_target(tree, unit=tree.unit_of(role), actor=actors[role])

    def test_a_unit_outside_the_actors_subtree_is_refused(self, tree, actors):
        with pytest.raises(Forbidden):
            make_target(tree, unit=tree.community_a2, actor=actors[Role.COMMUNITY_STAFF])

    def test_a_street_is_not_a_care_list_unit(self, tree, actors):
        with pytest.raises(DomainError) as refused:
            make_target(tree, unit=tree.street_a, actor=actors[Role.STREET_SUPERVISOR])
        assert refused.value.field == "unit"

    def test_members_responsible_come_from_the_unit_or_its_grids(self, tree, actors):
        elsewhere = make_member(tree.community_a2, Role.COMMUNITY_STAFF)
        with pytest.raises(DomainError) as refused:
            make_target(
                tree,
                actor=actors[Role.STREET_SUPERVISOR],
                responsible=[Membership.objects.get(user=elsewhere)],
            )
        assert refused.value.field == "responsible"
        assert not CareTarget.objects.exists()

    def test_changing_the_schedule_moves_the_next_due_date(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        visit(target, on=care_today() - timedelta(days=3))
        target.refresh_from_db()
        assert target.next_due_on == care_today() + timedelta(days=4)
        care_services.care_target_update(
            actor=actors[Role.COMMUNITY_STAFF],
            target=target,
            details=details(frequency="days", interval_days=20, phone=""),
            responsible=[],
        )
        target.refresh_from_db()
        assert target.next_due_on == care_today() + timedelta(days=17)
        assert target.phone == "" and not target.responsible.exists()
        entry = AuditEntry.objects.get(action="support.care.updated")
        assert set(entry.data["changed"]) == {"frequency", "interval_days", "phone", "responsible"}
        assert PHONE not in json.dumps(entry.data)

    def test_a_household_taken_off_the_list_needs_a_reason_and_takes_no_visits(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        with pytest.raises(DomainError):
            care_services.care_target_close(
                actor=actors[Role.BRANCH_SECRETARY], target=target, reason=" "
            )
        care_services.care_target_close(
            actor=actors[Role.BRANCH_SECRETARY], target=target, reason="已搬离本社区"
        )
        target.refresh_from_db()
        assert not target.is_active and target.closed_on == care_today()
        with pytest.raises(Conflict):
            visit(target)
        with pytest.raises(Conflict):
            care_services.care_target_close(actor=SYSTEM, target=target, reason="again")


class TestVisits:
    def test_a_visit_moves_the_schedule_and_records_its_needs(self, tree, actors):
        grid_worker = membership(tree, Role.GRID_WORKER)
        target = make_target(tree, unit=tree.grid_a1, responsible=[grid_worker])
        recorded = visit(
            target,
            actor=actors[Role.GRID_WORKER],
            needs=["家中灯泡坏了需要更换", "  ", "想申请助餐"],
        )
        target.refresh_from_db()
        assert target.last_visit_on == care_today()
        assert target.next_due_on == care_today() + timedelta(days=7)
        assert recorded.visited_by == tree.people[Role.GRID_WORKER]
        assert [n.text for n in recorded.needs.all()] == ["家中灯泡坏了需要更换", "想申请助餐"]
        entry = AuditEntry.objects.get(action="support.care.visited")
        assert entry.data["needs"] == 2 and PHONE not in json.dumps(entry.data)

    def test_an_older_visit_does_not_move_the_last_visit_back(self, tree):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        visit(target)
        visit(target, on=care_today() - timedelta(days=10))
        target.refresh_from_db()
        assert target.last_visit_on == care_today()
        assert CareVisit.objects.count() == 2

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"on": date.today() + timedelta(days=2)}, "visited_on"),
            ({"on": date.today() - timedelta(days=400)}, "visited_on"),
            ({"form": "letter"}, "form"),
            ({"findings": "  "}, "findings"),
            ({"findings": "x" * 2001}, "findings"),
            ({"needs": ["x" * 501]}, "needs"),
            ({"needs": [f"需求{n}" for n in range(11)]}, "needs"),
        ],
    )
    def test_bad_visits_are_refused_and_change_nothing(self, tree, actors, overrides, field):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        with pytest.raises(DomainError) as refused:
            visit(target, actor=actors[Role.COMMUNITY_STAFF], **overrides)
        assert refused.value.field == field
        target.refresh_from_db()
        assert target.last_visit_on is None and not CareVisit.objects.exists()
        assert not CareNeed.objects.exists()

    def test_the_visitor_is_the_recorder_or_a_paired_member(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        with pytest.raises(DomainError) as refused:
            visit(
                target,
                actor=actors[Role.COMMUNITY_STAFF],
                visitor=membership(tree, Role.BRANCH_SECRETARY),
            )
        assert refused.value.field == "visitor"
        done = visit(
            target, actor=actors[Role.COMMUNITY_STAFF], visitor=membership(tree, Role.GRID_WORKER)
        )
        assert done.visited_by == tree.people[Role.GRID_WORKER]
        assert done.recorded_by == tree.people[Role.COMMUNITY_STAFF]

    @pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.DISCIPLINE_INSPECTOR])
    def test_roles_without_care_work_cannot_record_visits(self, tree, actors, role):
        target = make_target(tree)
        with pytest.raises(Forbidden):
            visit(target, actor=actors[role])

    def test_visits_count_by_the_date_in_shanghai(self, tree):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        # 17:30 UTC on 27 November is 01:30 on 28 November in Shanghai.
        with clock.at(datetime(2026, 11, 27, 17, 30, tzinfo=UTC)):
            assert care_today() == date(2026, 11, 28)
            visit(target, on=date(2026, 11, 28))
            with pytest.raises(DomainError):
                visit(target, on=date(2026, 11, 29))
        target.refresh_from_db()
        assert target.last_visit_on == date(2026, 11, 28)


class TestNeedsBecomeRequests:
    def test_one_call_enters_a_request_that_links_back_without_personal_data(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        recorded = visit(target, needs=["楼道灯坏了，老人夜里上下楼不安全"])
        need = recorded.needs.get()
        category = Category.objects.get(code="home-care")
        case = care_services.care_need_raise_case(
            actor=actors[Role.COMMUNITY_STAFF], need=need, category=category
        )
        need.refresh_from_db()
        assert need.case == case and case.care_need == need
        assert Case.objects.count() == 1
        assert case.status == Status.SUBMITTED and case.channel == Channel.WALK_IN
        assert case.area == tree.community_a1 and case.current_unit == tree.community_a1
        assert case.entered_by == tree.people[Role.COMMUNITY_STAFF]
        assert "楼道灯坏了" in case.title and "楼道灯坏了" in case.description
        assert f"{target.pk}" in case.description and f"{recorded.pk}" in case.description
        stored = " ".join([case.title, case.description, case.address, case.reporter_name])
        for personal in (NAME, ADDRESS, PHONE, ID4, "独居"):
            assert personal not in stored
        assert case.reporter_phone == ""
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"cases.case.submitted", "support.care.case_raised"} <= actions
        with pytest.raises(Conflict):
            care_services.care_need_raise_case(
                actor=actors[Role.COMMUNITY_STAFF], need=need, category=category
            )
        assert Case.objects.count() == 1

    def test_a_phone_visit_gives_a_phone_request(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        need = visit(target, form="phone", needs=["需要低保政策咨询"]).needs.get()
        case = care_services.care_need_raise_case(
            actor=actors[Role.BRANCH_SECRETARY],
            need=need,
            category=Category.objects.get(code="benefits"),
        )
        assert case.channel == Channel.PHONE

    def test_a_paired_grid_worker_enters_it_for_their_grid(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        need = visit(target, needs=["需要上门理发"]).needs.get()
        case = care_services.care_need_raise_case(
            actor=actors[Role.GRID_WORKER],
            need=need,
            category=Category.objects.get(code="home-care"),
        )
        assert case.area == tree.grid_a1

    def test_a_bad_category_changes_nothing(self, tree, actors):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        need = visit(target, needs=["需要上门理发"]).needs.get()
        group = Category.objects.get(code="elderly-disabled")
        with pytest.raises(DomainError) as refused:
            care_services.care_need_raise_case(
                actor=actors[Role.COMMUNITY_STAFF], need=need, category=group
            )
        assert refused.value.field == "category"
        need.refresh_from_db()
        assert need.case is None and not Case.objects.exists()
        assert not AuditEntry.objects.filter(action="support.care.case_raised").exists()

    @pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.DISCIPLINE_INSPECTOR])
    def test_roles_without_care_work_cannot_raise_requests(self, tree, actors, role):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        need = visit(target, needs=["需要上门理发"]).needs.get()
        with pytest.raises(Forbidden):
            care_services.care_need_raise_case(
                actor=actors[role], need=need, category=Category.objects.get(code="home-care")
            )


class TestCompletionSelector:
    def test_the_unit_metric_sums_its_subtree_and_nothing_else(self, tree):
        grid_worker = membership(tree, Role.GRID_WORKER)
        today = care_today()
        start = today - timedelta(days=28)
        on_time = make_target(tree, responsible=[grid_worker], first_due_on=start)
        for days in (28, 21, 14, 7):
            visit(on_time, on=today - timedelta(days=days))
        make_target(tree, unit=tree.grid_a1, responsible=[grid_worker], first_due_on=start)
        make_target(tree, unit=tree.community_a2, first_due_on=start)  # a sibling
        period = (start, today)
        # Four on time, plus four weekly visits missed in the grid (28, 21, 14, 7 days ago).
        assert care_visit_completion(tree.community_a1, period, today=today) == (4, 8)
        assert care_visit_completion(tree.grid_a1, period, today=today) == (0, 4)
        assert care_visit_completion(tree.street_a, period, today=today) == (4, 12)
        assert care_visit_completion(tree.community_b1, period, today=today) == (0, 0)
