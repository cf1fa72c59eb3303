"""Pages of supervision visits and rectification: forms, bad input, scoping, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conduct.models import (
    Inspection,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
)
from jiceng.conduct.rectification_services import rectification_open, rectification_report
from jiceng.conduct.supervision_services import FindingInput
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role, UnitKind
from tests.conduct.conftest import pdf, png
from tests.factories import make_member, make_unit

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor(tree):
    return _client(tree.people[Role.STREET_SUPERVISOR])


@pytest.fixture
def staff(tree):
    return _client(tree.people[Role.COMMUNITY_STAFF])


def _visit_post(**overrides):
    data = {
        "visited_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "people_met": "王书记",
        "checked": "台账、开放时间",
        "finding-TOTAL_FORMS": "3",
        "finding-INITIAL_FORMS": "0",
        "finding-MIN_NUM_FORMS": "0",
        "finding-MAX_NUM_FORMS": "20",
        "finding-0-title": "开放时间未公示",
        "finding-0-note": "门口无公示牌",
        "finding-0-deadline_days": "5",
        "finding-0-weight": "2",
        "finding-1-deadline_days": "10",
        "finding-1-weight": "1",
        "finding-2-deadline_days": "10",
        "finding-2-weight": "1",
    }
    data.update(overrides)
    return data


NEW = reverse("conduct_visit_new")


class TestVisitForm:
    def test_unit_is_chosen_first_from_the_units_below(self, tree, supervisor):
        form = supervisor.get(NEW, **EN).context["form"]
        choices = set(form.fields["unit"].queryset)
        assert choices == {tree.community_a1, tree.community_a2, tree.grid_a1}

    def test_a_visit_with_a_finding_opens_an_item(self, tree, supervisor):
        owner = tree.people[Role.COMMUNITY_STAFF]
        form = supervisor.get(NEW, {"unit": tree.community_a1.code}, **EN).content.decode()
        assert owner.display_name in form
        response = supervisor.post(
            f"{NEW}?unit={tree.community_a1.code}",
            _visit_post(**{"finding-0-owner": str(owner.pk), "finding-0-photos": png()}),
            **EN,
        )
        inspection = Inspection.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("conduct_visit_detail", args=[inspection.pk])
        item = RectificationItem.objects.get()
        assert (item.title, item.owner, item.weight, item.unit) == (
            "开放时间未公示",
            owner,
            2,
            tree.community_a1,
        )
        detail = supervisor.get(response["Location"], **EN).content.decode()
        assert "开放时间未公示" in detail
        assert reverse("conduct_rectification_detail", args=[item.pk]) in detail
        photo = inspection.findings.get().photos.get()
        url = reverse("conduct_finding_photo", args=[inspection.pk, photo.pk])
        assert supervisor.get(url)["Content-Type"] == "image/png"

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"people_met": ""}, "This field is required"),
            ({"visited_on": "2026-02-30"}, "Enter a valid date"),
            ({"visited_on": "2999-01-01"}, "future"),
            ({"finding-0-weight": "0"}, "greater than or equal to 1"),
            ({"finding-0-deadline_days": "abc"}, "whole number"),
            ({"finding-0-title": "", "finding-0-note": "只有备注"}, "This field is required"),
            ({"finding-0-owner": "999999"}, "valid choice"),
            ({"finding-TOTAL_FORMS": "21"}, "at most 20 forms"),
        ],
    )
    def test_bad_input_is_shown_and_nothing_stored(self, tree, supervisor, overrides, message):
        response = supervisor.post(
            f"{NEW}?unit={tree.community_a1.code}", _visit_post(**overrides), **EN
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Inspection.objects.exists()
        assert not RectificationItem.objects.exists()

    def test_a_bad_photo_is_refused(self, tree, supervisor):
        from django.core.files.uploadedfile import SimpleUploadedFile

        fake = SimpleUploadedFile("a.jpg", b"GIF89a....", content_type="image/jpeg")
        response = supervisor.post(
            f"{NEW}?unit={tree.community_a1.code}", _visit_post(**{"finding-0-photos": fake}), **EN
        )
        assert "JPEG, PNG and WebP" in response.content.decode()
        assert not Inspection.objects.exists()

    def test_a_unit_outside_the_subtree_cannot_be_chosen(self, tree, supervisor):
        response = supervisor.post(f"{NEW}?unit={tree.community_b1.code}", _visit_post(), **EN)
        assert "valid choice" in response.content.decode()
        assert not Inspection.objects.exists()

    @pytest.mark.parametrize(
        "role", [Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER]
    )
    def test_unit_staff_may_not_record_visits(self, tree, role):
        client = _client(tree.people[role])
        assert client.get(NEW).status_code == 403
        assert client.post(f"{NEW}?unit={tree.community_a1.code}", _visit_post()).status_code == 403


class TestItemPages:
    def test_the_unit_reports_progress_with_evidence(self, tree, staff, item):
        url = reverse("conduct_rectification_act", args=[item.pk, "report"])
        response = staff.post(
            url, {"report-progress": "100", "report-note": "已公示", "report-evidence": pdf()}
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.progress, item.status) == (100, RectificationStatus.REPORTED)
        evidence = RectificationEvidence.objects.get()
        download = staff.get(reverse("conduct_rectification_evidence", args=[item.pk, evidence.pk]))
        assert b"".join(download.streaming_content).startswith(b"%PDF")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"report-progress": "120", "report-note": "x"}, "less than or equal to 100"),
            ({"report-progress": "ten", "report-note": "x"}, "whole number"),
            ({"report-progress": "50", "report-note": ""}, "This field is required"),
        ],
    )
    def test_bad_reports_are_shown_and_change_nothing(self, staff, item, data, message):
        url = reverse("conduct_rectification_act", args=[item.pk, "report"])
        response = staff.post(url, data, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        item.refresh_from_db()
        assert (item.progress, item.events.count()) == (0, 1)

    def test_bad_evidence_is_shown_and_changes_nothing(self, staff, item):
        from django.core.files.uploadedfile import SimpleUploadedFile

        url = reverse("conduct_rectification_act", args=[item.pk, "report"])
        fake = SimpleUploadedFile("a.pdf", b"<html>", content_type="application/pdf")
        response = staff.post(
            url, {"report-progress": "50", "report-note": "x", "report-evidence": fake}, **EN
        )
        assert response.status_code == 400
        assert "Only PDF" in response.content.decode()
        item.refresh_from_db()
        assert item.progress == 0

    def test_the_supervisor_returns_then_verifies(self, tree, staff, supervisor, item):
        act = lambda action: reverse("conduct_rectification_act", args=[item.pk, action])  # noqa: E731
        staff.post(act("report"), {"report-progress": "100", "report-note": "完成"})
        page = supervisor.get(reverse("conduct_rectification_detail", args=[item.pk]), **EN)
        assert 'data-action="verify"' in page.content.decode()
        assert 'data-action="report"' not in page.content.decode()

        response = supervisor.post(act("return"), {"return-reason": ""}, **EN)
        assert response.status_code == 400
        item.refresh_from_db()
        assert item.status == RectificationStatus.REPORTED

        supervisor.post(act("return"), {"return-reason": "照片不清楚"})
        item.refresh_from_db()
        assert (item.status, item.progress) == (RectificationStatus.RETURNED, 100)
        staff.post(act("report"), {"report-progress": "100", "report-note": "已补照片"})
        supervisor.post(act("verify"), {"verify-note": ""})
        item.refresh_from_db()
        assert item.status == RectificationStatus.VERIFIED
        timeline = staff.get(reverse("conduct_rectification_detail", args=[item.pk])).content
        assert "照片不清楚" in timeline.decode()

    def test_an_action_not_open_to_the_actor_changes_nothing(self, staff, supervisor, item):
        url = reverse("conduct_rectification_act", args=[item.pk, "verify"])
        response = staff.post(url, {"verify-note": ""}, follow=True, **EN)
        assert "not available" in response.content.decode()
        supervisor.post(reverse("conduct_rectification_act", args=[item.pk, "report"]), {})
        item.refresh_from_db()
        assert item.status == RectificationStatus.OPEN
        assert (
            staff.post(reverse("conduct_rectification_act", args=[item.pk, "x"])).status_code == 404
        )

    def test_the_list_puts_the_units_work_first_and_shows_overdue(self, tree, actors, staff):
        from django.utils import timezone as tz

        from jiceng.conduct.rectification_services import rectification_verify

        supervisor_actor = actors[Role.STREET_SUPERVISOR]
        soon = tz.now() + timedelta(days=1)

        def open_item(title, days):
            return rectification_open(
                actor=supervisor_actor,
                unit=tree.community_a1,
                title=title,
                deadline=tz.now() + timedelta(days=days),
                source_kind="supervision",
            )

        done = open_item("已核实", 1)
        rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=done, progress=100, note="好")
        rectification_verify(actor=supervisor_actor, item=done)
        waiting = open_item("待核实", 2)
        rectification_report(
            actor=actors[Role.COMMUNITY_STAFF], item=waiting, progress=100, note="好"
        )
        late = open_item("逾期", 3)
        later = open_item("未到期", 20)
        assert soon
        RectificationItem.objects.filter(pk=late.pk).update(deadline=tz.now() - timedelta(hours=1))
        response = staff.get(reverse("conduct_rectification_list"), **EN)
        titles = [item.title for item in response.context["page"]]
        assert titles == ["逾期", "未到期", "待核实", "已核实"]
        html = response.content.decode()
        row = html[html.index(f'data-item="{late.pk}"') :]
        assert "Overdue" in row[: row.index("</tr>")]
        assert later.pk

    def test_the_list_filters_by_status(self, staff, item):
        response = staff.get(reverse("conduct_rectification_list"), {"status": "verified"})
        assert list(response.context["page"]) == []
        response = staff.get(reverse("conduct_rectification_list"), {"status": "nonsense"})
        assert [i.pk for i in response.context["page"]] == [item.pk]


class TestAccess:
    """The role × page matrix: readers of their subtree, 404 for siblings, 403 without a role."""

    @pytest.mark.parametrize(
        ("role", "list_status", "detail_status"),
        [
            (Role.COMMUNITY_STAFF, 200, 200),
            (Role.BRANCH_SECRETARY, 200, 200),
            (Role.GRID_WORKER, 200, 404),  # the grid below sees its own items only
            (Role.STREET_SUPERVISOR, 200, 200),
            (Role.DISTRICT_ADMIN, 200, 200),
            (Role.DISCIPLINE_INSPECTOR, 403, 403),
            (Role.SYSTEM_ADMIN, 403, 403),
        ],
    )
    def test_each_role(self, tree, item, role, list_status, detail_status):
        client = _client(tree.people[role])
        visit = Inspection.objects.get()
        assert client.get(reverse("conduct_rectification_list")).status_code == list_status
        assert client.get(reverse("conduct_visit_list")).status_code == list_status
        assert client.get(reverse("conduct_rollup")).status_code == list_status
        detail = reverse("conduct_rectification_detail", args=[item.pk])
        assert client.get(detail).status_code == detail_status
        visit_url = reverse("conduct_visit_detail", args=[visit.pk])
        assert client.get(visit_url).status_code == detail_status

    @pytest.mark.parametrize(
        ("unit_name", "role"),
        [("community_a2", Role.BRANCH_SECRETARY), ("street_b", Role.STREET_SUPERVISOR)],
    )
    def test_siblings_get_404_everywhere(self, tree, item, unit_name, role):
        client = _client(make_member(getattr(tree, unit_name), role))
        visit = Inspection.objects.get()
        pages = [
            reverse("conduct_rectification_detail", args=[item.pk]),
            reverse("conduct_visit_detail", args=[visit.pk]),
            reverse("conduct_rollup_unit", args=[tree.community_a1.code]),
        ]
        for url in pages:
            assert client.get(url).status_code == 404, url
        for action in ("report", "verify", "return"):
            url = reverse("conduct_rectification_act", args=[item.pk, action])
            assert client.post(url, {}).status_code == 404
        assert client.get(reverse("conduct_rectification_list")).context["page"].items == []
        assert client.get(reverse("conduct_visit_list")).context["page"].items == []
        item.refresh_from_db()
        assert item.status == RectificationStatus.OPEN

    def test_anonymous_visitors_are_sent_to_sign_in(self, item):
        response = Client().get(reverse("conduct_rectification_list"))
        assert response.status_code == 302
        assert "login" in response["Location"]


class TestRollupPage:
    def test_a_street_sees_each_community_sorted(self, tree, actors, supervisor, record_visit):
        record_visit(findings=[FindingInput(title="甲", weight=3), FindingInput(title="乙")])
        first = RectificationItem.objects.order_by("pk").first()
        assert first is not None
        rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=first, progress=40, note="x")
        record_visit(unit=tree.community_a2, findings=[FindingInput(title="丙")])
        rectification_report(
            actor=SYSTEM, item=RectificationItem.objects.get(title="丙"), progress=80, note="x"
        )
        response = supervisor.get(
            reverse("conduct_rollup"),
            {
                "start": f"{timezone.localdate().year - 1}-01-01",
                "end": timezone.localdate().isoformat(),
                "sort": "-progress",
            },
        )
        rows = [(unit.code, result.progress) for unit, result in response.context["page"]]
        # 柳岸: (3·40 + 1·0) / 4 = 30.0; 桂香: 80.0; all: (120 + 0 + 80) / 5 = 40.0
        assert rows == [(tree.community_a2.code, 80.0), (tree.community_a1.code, 30.0)]
        assert response.context["total"].progress == 40.0
        ascending = supervisor.get(
            reverse("conduct_rollup"),
            {
                "start": f"{timezone.localdate().year - 1}-01-01",
                "end": timezone.localdate().isoformat(),
                "sort": "progress",
            },
        )
        assert ascending.context["page"].items[0][0] == tree.community_a1

    def test_a_bad_period_is_explained_and_the_default_used(self, supervisor):
        response = supervisor.get(
            reverse("conduct_rollup"), {"start": "2026-05-01", "end": "2026-04-01"}, **EN
        )
        assert response.status_code == 200
        assert "must not end before it starts" in response.content.decode()
        assert response.context["period"].start.month == 1

    def test_the_district_pages_through_many_streets(self, tree, django_assert_max_num_queries):
        for number in range(27):
            make_unit(tree.district, UnitKind.STREET, f"街道{number}")
        admin = _client(tree.people[Role.DISTRICT_ADMIN])
        with django_assert_max_num_queries(12):
            first = admin.get(reverse("conduct_rollup"))
        assert len(first.context["page"].items) == 25
        assert first.context["page"].has_next
        second = admin.get(reverse("conduct_rollup"), {"page": "2"})
        assert len(second.context["page"].items) == 4


class TestQueries:
    def test_list_pages_cost_a_fixed_number_of_queries(
        self, tree, supervisor, staff, record_visit, django_assert_max_num_queries
    ):
        for _ in range(6):
            record_visit(
                findings=[
                    FindingInput(title=f"问题{n}", owner=tree.people[Role.COMMUNITY_STAFF])
                    for n in range(5)
                ]
            )
        with django_assert_max_num_queries(10):
            response = staff.get(reverse("conduct_rectification_list"))
        assert len(response.context["page"].items) == 25
        with django_assert_max_num_queries(10):
            response = supervisor.get(reverse("conduct_visit_list"))
        assert len(response.context["page"].items) == 6
        with django_assert_max_num_queries(12):
            response = supervisor.get(reverse("conduct_rollup"))
        assert response.context["total"].items == 30
        visit = Inspection.objects.first()
        assert visit is not None
        with django_assert_max_num_queries(12):
            supervisor.get(reverse("conduct_visit_detail", args=[visit.pk]))
        item = RectificationItem.objects.first()
        assert item is not None
        for n in range(5):
            rectification_report(
                actor=SYSTEM, item=item, progress=n * 10, note="x", evidence=[pdf()]
            )
        with django_assert_max_num_queries(12):
            staff.get(reverse("conduct_rectification_detail", args=[item.pk]))


class TestRollupDrillDown:
    def test_a_street_row_leads_to_its_communities_with_the_same_period(self, tree, item):
        admin = _client(tree.people[Role.DISTRICT_ADMIN])
        today = timezone.localdate()
        query = {"start": f"{today.year}-01-01", "end": today.isoformat(), "sort": "overdue"}
        page = admin.get(reverse("conduct_rollup"), query)
        rows = {unit.code: result for unit, result in page.context["page"]}
        assert (rows[tree.street_a.code].items, rows[tree.street_b.code].items) == (1, 0)
        link = reverse("conduct_rollup_unit", args=[tree.street_a.code])
        html = page.content.decode()
        assert (
            f"{link}?start={today.year}-01-01&amp;end={today.isoformat()}&amp;sort=overdue" in html
        )
        below = admin.get(link, query)
        assert [unit for unit, _r in below.context["page"]] == [
            tree.community_a1,
            tree.community_a2,
        ]
        assert below.context["total"].progress == 0.0


class TestSupervisorFormsBadInput:
    @pytest.mark.parametrize(
        ("action", "data"),
        [("verify", {"verify-note": "x" * 2001}), ("return", {"return-reason": "x" * 2001})],
    )
    def test_overlong_notes_change_nothing(self, staff, supervisor, item, action, data):
        act = reverse("conduct_rectification_act", args=[item.pk, "report"])
        staff.post(act, {"report-progress": "100", "report-note": "完成"})
        url = reverse("conduct_rectification_act", args=[item.pk, action])
        response = supervisor.post(url, data, **EN)
        assert response.status_code == 400
        assert "at most 2000 characters" in response.content.decode()
        item.refresh_from_db()
        assert (item.status, item.events.count()) == (RectificationStatus.REPORTED, 2)


class TestUnitFilterAndLinks:
    def test_the_list_narrows_to_a_unit_of_the_subtree(self, tree, actors, supervisor, item):
        other = rectification_open(
            actor=actors[Role.STREET_SUPERVISOR],
            unit=tree.community_a2,
            title="桂香的问题",
            deadline=timezone.now() + timedelta(days=3),
            source_kind="supervision",
        )
        url = reverse("conduct_rectification_list")
        both = supervisor.get(url)
        assert {i.pk for i in both.context["page"]} == {item.pk, other.pk}
        one = supervisor.get(url, {"unit": tree.community_a2.code})
        assert [i.pk for i in one.context["page"]] == [other.pk]
        assert 'data-testid="unit-filter"' in one.content.decode()

    def test_a_unit_outside_the_subtree_is_ignored(self, tree, staff, item):
        response = staff.get(
            reverse("conduct_rectification_list"), {"unit": tree.community_a2.code}
        )
        assert [i.pk for i in response.context["page"]] == [item.pk]
        assert response.context["unit"] is None

    def test_the_item_links_back_to_its_visit(self, staff, item):
        visit = Inspection.objects.get()
        page = staff.get(reverse("conduct_rectification_detail", args=[item.pk])).content
        assert reverse("conduct_visit_detail", args=[visit.pk]) in page.decode()

    def test_the_rollup_links_a_units_items(self, tree, supervisor, item):
        html = supervisor.get(reverse("conduct_rollup")).content.decode()
        assert f"{reverse('conduct_rectification_list')}?unit={tree.community_a1.code}" in html
