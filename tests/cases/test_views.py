"""Request pages through the test client: the resident's form and tracking, the staff's work."""

from __future__ import annotations

import io

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from jiceng.cases import services
from jiceng.cases.models import Case, Category, Feedback, Status
from jiceng.core.actors import RESIDENT
from jiceng.orgs.roles import Capability, Role, role_has_capability

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _form(tree, **overrides):
    data = {
        "category": Category.objects.get(code="lift").pk,
        "area": tree.community_a1.pk,
        "title": "3号楼电梯停运",
        "description": "3号楼电梯从周五起停运，楼里老人上下楼很困难。",
        "address": "柳岸路88号3号楼",
        "reporter_name": "王阿姨",
        "reporter_phone": "13912345678",
    }
    data.update(overrides)
    return data


def _signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(out, "PNG")
    return SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")


class TestResidentReport:
    def test_a_resident_submits_and_gets_a_tracking_code(self, tree):
        client = Client()
        form = client.get(reverse("case_report"), **ZH).content.decode()
        assert "柳岸社区" in form and "电梯故障" in form and "<optgroup" in form
        data = _form(tree, photos=[_png()], reporter_email="wang@example.org")
        response = client.post(reverse("case_report"), data, **ZH)
        assert response.status_code == 302
        case = Case.objects.get()
        done = client.get(response["Location"], **ZH).content.decode()
        assert case.tracking_code in done
        assert case.channel == "web" and case.attachments.count() == 1
        assert case.reporter_phone == "13912345678"
        assert (case.reporter_email, case.reporter_language) == ("wang@example.org", "zh-hans")

    def test_the_confirmation_comes_from_a_signed_cookie_not_a_session_row(self, tree):
        client = Client()
        response = client.post(reverse("case_report"), _form(tree), **ZH)
        code = Case.objects.get().tracking_code
        cookie = response.cookies["submitted_case"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert not Session.objects.exists()
        assert code in client.get(reverse("case_report_done"), **ZH).content.decode()
        # A forged or missing cookie shows nothing: back to the form.
        client.cookies["submitted_case"] = code
        assert client.get(reverse("case_report_done")).headers["Location"] == reverse("case_report")
        assert Client().get(reverse("case_report_done")).status_code == 302

    def test_a_deactivated_community_is_refused_at_once(self, tree):
        unit = tree.community_a1
        unit.is_active = False
        unit.save()
        response = Client().post(reverse("case_report"), _form(tree), **ZH)
        assert response.status_code == 200
        assert "选择一个有效的选项" in response.content.decode()
        assert not Case.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"title": ""}, "这个字段是必填项"),
            ({"description": "字" * 4001}, "4000"),
            ({"category": "999999"}, "选择一个有效的选项"),
            ({"area": str(10**9)}, "选择一个有效的选项"),
            ({"reporter_phone": "12345"}, "手机号"),
            ({"reporter_email": "a" * 250 + "@x.cn"}, "254"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_stored(self, tree, overrides, message):
        response = Client().post(reverse("case_report"), _form(tree, **overrides), **ZH)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Case.objects.exists()

    def test_an_invalid_email_address_is_explained_and_nothing_is_stored(self, tree, mailoutbox):
        response = Client().post(reverse("case_report"), _form(tree, reporter_email="wang@"), **EN)
        assert response.status_code == 200
        assert "Enter an e-mail address such as name@example.org." in response.content.decode()
        assert not Case.objects.exists() and not mailoutbox

    def test_an_anonymous_resident_may_leave_an_address_which_staff_see(self, tree):
        data = _form(tree, is_anonymous="on", reporter_email="anon@example.org")
        Client().post(reverse("case_report"), data, **ZH)
        case = Case.objects.get()
        assert case.is_anonymous and case.reporter_name == ""
        assert case.reporter_email == "anon@example.org"
        page = _signed_in(tree, Role.COMMUNITY_STAFF).get(reverse("case_detail", args=[case.pk]))
        assert "anon@example.org" in page.content.decode()

    def test_a_fake_photo_is_refused_on_the_form(self, tree):
        fake = SimpleUploadedFile("x.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
        response = Client().post(reverse("case_report"), _form(tree, photos=[fake]), **EN)
        assert response.status_code == 200
        assert "Only JPEG, PNG and WebP photos" in response.content.decode()
        assert not Case.objects.exists()

    def test_submissions_are_rate_limited_per_address(self, tree, settings):
        settings.CASE_SUBMISSIONS_PER_HOUR = 2
        client = Client(REMOTE_ADDR="10.9.9.9")
        for _ in range(2):
            assert client.post(reverse("case_report"), _form(tree)).status_code == 302
        blocked = client.post(reverse("case_report"), _form(tree), **ZH)
        assert blocked.status_code == 429 and "请求过于频繁" in blocked.content.decode()
        assert Case.objects.count() == 2
        other = Client(REMOTE_ADDR="10.9.9.10")
        assert other.post(reverse("case_report"), _form(tree)).status_code == 302


class TestTracking:
    def _resolved(self, tree, submit, secretary) -> Case:
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        services.case_resolve(case=case, actor=secretary, body="已联系环卫公司清运完毕。")
        return case

    def test_lookup_with_a_sloppy_code(self, tree, submit):
        case = submit()
        sloppy = " " + "-".join([case.tracking_code[:4], case.tracking_code[4:8]]).lower()
        sloppy += case.tracking_code[8:].lower() + " "
        response = Client().post(reverse("case_track"), {"code": sloppy})
        assert response["Location"] == reverse("case_track_detail", args=[case.tracking_code])

    def test_unknown_codes_get_a_message_and_lookups_are_limited(self, tree):
        client = Client(REMOTE_ADDR="10.7.7.7")
        response = client.post(reverse("case_track"), {"code": "ZZZZZZZZZZZZ"}, **EN)
        assert "No request has this tracking code" in response.content.decode()
        for _ in range(40):
            response = client.post(reverse("case_track"), {"code": "ZZZZZZZZZZZZ"})
        assert response.status_code == 429
        assert client.get(reverse("case_track_detail", args=["ZZZZZZZZZZZZ"])).status_code == 429

    def test_the_resident_sees_units_and_answers_but_no_staff_names(self, tree, submit, secretary):
        case = self._resolved(tree, submit, secretary)
        page = Client().get(reverse("case_track_detail", args=[case.tracking_code]), **ZH)
        text = page.content.decode()
        assert "已联系环卫公司清运完毕" in text and "柳岸社区" in text
        assert tree.people[Role.BRANCH_SECRETARY].display_name not in text
        assert 'data-testid="feedback-form"' in text

    def test_the_resident_confirms_and_the_case_closes(self, tree, submit, secretary):
        case = self._resolved(tree, submit, secretary)
        url = reverse("case_track_detail", args=[case.tracking_code])
        response = Client().post(url, {"solved": "yes", "satisfaction": "5", "comment": "谢谢"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Status.CLOSED
        assert Feedback.objects.get().channel == "tracking"
        page = Client().get(url).content.decode()
        assert 'data-testid="feedback-form"' not in page

    def test_not_solved_reopens(self, tree, submit, secretary):
        case = self._resolved(tree, submit, secretary)
        url = reverse("case_track_detail", args=[case.tracking_code])
        Client().post(url, {"solved": "no", "satisfaction": "1"})
        case.refresh_from_db()
        assert case.status == Status.IN_PROGRESS and case.reopen_count == 1

    def test_bad_feedback_changes_nothing(self, tree, submit, secretary):
        case = self._resolved(tree, submit, secretary)
        url = reverse("case_track_detail", args=[case.tracking_code])
        for data in ({}, {"solved": "maybe"}, {"solved": "yes", "satisfaction": "7"}):
            assert Client().post(url, data).status_code == 200
        case.refresh_from_db()
        assert case.status == Status.RESOLVED

    def test_feedback_before_resolution_is_refused(self, tree, submit):
        case = submit()
        url = reverse("case_track_detail", args=[case.tracking_code])
        response = Client().post(url, {"solved": "yes", "satisfaction": "5"}, **EN)
        assert response.status_code in (200, 403)
        case.refresh_from_db()
        assert case.status == Status.SUBMITTED


CASE_ROLES = [
    role
    for role in Role.values
    if role_has_capability(role, Capability.CASE_HANDLE)
    or role_has_capability(role, Capability.CASE_SUPERVISE)
]
NO_CASE_ROLES = [role for role in Role.values if role not in CASE_ROLES]


class TestStaffPages:
    @pytest.mark.parametrize("role", NO_CASE_ROLES)
    def test_roles_without_case_work_are_refused(self, tree, submit, role):
        case = submit()
        client = _signed_in(tree, role)
        for url in (
            reverse("case_worklist"),
            reverse("case_staff_entry"),
            reverse("case_detail", args=[case.pk]),
        ):
            assert client.get(url).status_code == 403, (role, url)

    @pytest.mark.parametrize("role", CASE_ROLES)
    def test_case_detail_is_visible_exactly_in_the_subtree(self, tree, submit, role):
        inside = submit()  # held by 柳岸社区, in its area
        outside = submit(area=tree.community_b1)  # a village of the other street
        client = _signed_in(tree, role)
        unit = tree.unit_of(role)
        for case in (inside, outside):
            visible = case.current_path.startswith(unit.path) or case.area_path.startswith(
                unit.path
            )
            status = client.get(reverse("case_detail", args=[case.pk])).status_code
            assert status == (200 if visible else 404), (role, case.area.name)

    def test_worklist_puts_overdue_first_and_counts_queries(
        self, tree, submit, django_assert_max_num_queries
    ):
        from datetime import timedelta

        from jiceng.core import clock

        old = submit(title="很早的诉求", submitted_at=clock.now() - timedelta(days=30))
        for n in range(15):
            submit(title=f"新诉求{n}")
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        with django_assert_max_num_queries(14):
            page = client.get(reverse("case_worklist")).content.decode()
        assert page.index("很早的诉求") < page.index("新诉求0")
        assert old.is_overdue()

    def test_staff_enter_a_phone_request(self, tree):
        client = _signed_in(tree, Role.COMMUNITY_STAFF)
        data = _form(tree, channel="phone", priority="urgent", reporter_email="w@example.org")
        response = client.post(reverse("case_staff_entry"), data, **EN)
        case = Case.objects.get()
        assert response["Location"] == reverse("case_detail", args=[case.pk])
        assert (case.channel, case.priority) == ("phone", "urgent")
        assert case.entered_by == tree.people[Role.COMMUNITY_STAFF]
        # The caller's address is kept; the staff's language is not taken for theirs.
        assert (case.reporter_email, case.reporter_language) == ("w@example.org", "")

    def test_staff_cannot_enter_requests_outside_their_subtree(self, tree):
        client = _signed_in(tree, Role.COMMUNITY_STAFF)
        data = _form(tree, channel="phone", priority="normal", area=tree.community_b1.pk)
        response = client.post(reverse("case_staff_entry"), data)
        assert response.status_code == 200 and not Case.objects.exists()

    def test_the_whole_journey_through_the_action_forms(self, tree, submit):
        case = submit()
        secretary = _signed_in(tree, Role.BRANCH_SECRETARY)
        worker = _signed_in(tree, Role.GRID_WORKER)
        act = lambda client, action, data: client.post(  # noqa: E731
            reverse("case_act", args=[case.pk, action]),
            {f"{action}-{key}": value for key, value in data.items()},
        )
        detail = secretary.get(reverse("case_detail", args=[case.pk])).content.decode()
        assert 'data-action="accept"' in detail and 'data-action="dispatch"' not in detail
        act(secretary, "accept", {"note": ""})
        act(secretary, "dispatch", {"to_unit": tree.grid_a1.pk, "note": "请网格员处理"})
        case.refresh_from_db()
        assert case.status == Status.DISPATCHED and case.current_unit == tree.grid_a1
        act(worker, "start", {"note": ""})
        act(worker, "reply", {"body": "已到现场查看，正在协调环卫。"})
        act(worker, "resolve", {"body": "环卫已清运，现场干净。"})
        case.refresh_from_db()
        assert case.status == Status.RESOLVED and case.replies.count() == 2
        # The secretary records the resident's answer taken by phone.
        act(secretary, "feedback", {"solved": "yes", "satisfaction": "4", "comment": "电话回访"})
        case.refresh_from_db()
        assert case.status == Status.RESOLVED  # the case is with the grid now, not the secretary
        act(worker, "feedback", {"solved": "yes", "satisfaction": "4", "comment": "电话回访"})
        case.refresh_from_db()
        assert case.status == Status.CLOSED and case.feedback.get().channel == "phone"

    def test_invalid_action_posts_change_nothing(self, tree, submit):
        case = submit()
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        for action, data in (
            ("dispatch", {"dispatch-to_unit": tree.grid_a1.pk}),  # not accepted yet
            ("explode", {}),
            ("reject", {"reject-note": ""}),
        ):
            response = client.post(reverse("case_act", args=[case.pk, action]), data)
            assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Status.SUBMITTED
        assert client.get(reverse("case_act", args=[case.pk, "accept"])).status_code == 405

    def test_photos_are_served_only_to_staff_who_see_the_case(self, tree, submit):
        case = submit(photos=[_png()])
        photo = case.attachments.get()
        url = reverse("case_attachment", args=[case.pk, photo.pk])
        assert _signed_in(tree, Role.COMMUNITY_STAFF).get(url).status_code == 200
        other = submit(area=tree.community_b1)
        assert (
            _signed_in(tree, Role.COMMUNITY_STAFF)
            .get(reverse("case_attachment", args=[other.pk, photo.pk]))
            .status_code
            == 404
        )
        assert Client().get(url).status_code == 302

    def test_notifications_page_and_mark_read(self, tree, submit):
        submit()
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        page = client.get(reverse("notifications"), **ZH).content.decode()
        assert "小区垃圾站满溢" in page
        client.post(reverse("notifications"))
        assert tree.people[Role.BRANCH_SECRETARY].notifications.filter(read_at=None).count() == 0

    def test_resident_feedback_via_service_matches_page(self, tree, submit, secretary):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        services.case_resolve(case=case, actor=secretary, body="好了")
        services.case_feedback(case=case, actor=RESIDENT, solved="partly", satisfaction=3)
        page = _signed_in(tree, Role.BRANCH_SECRETARY).get(
            reverse("case_detail", args=[case.pk]), **EN
        )
        assert "Partly solved" in page.content.decode()


class TestQueue:
    def test_queue_costs_the_same_for_many_requests(
        self, tree, submit, django_assert_max_num_queries
    ):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        for n in range(30):
            submit(title=f"诉求{n}", area=tree.community_a2 if n % 2 else tree.community_a1)
        for query in ("", "?overdue=on", "?status=submitted&category=rubbish", "?unit=QH-DH-GX"):
            with django_assert_max_num_queries(16):
                response = client.get(reverse("case_queue") + query)
            assert response.status_code == 200, query

    def test_queue_filters_narrow_the_list(self, tree, submit):
        inside = submit(title="桂香社区的诉求", area=tree.community_a2)
        submit(title="柳岸社区的诉求")
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        page = client.get(reverse("case_queue"), {"unit": "QH-DH-GX"}).content.decode()
        assert "桂香社区的诉求" in page and "柳岸社区的诉求" not in page
        by_code = client.get(reverse("case_queue"), {"q": inside.tracking_code.lower()})
        assert "桂香社区的诉求" in by_code.content.decode()

    def test_garbage_filters_never_fail(self, tree, submit):
        submit()
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        for query in (
            {"status": "nonsense", "category": "x" * 300, "unit": "\x00", "page": "-3"},
            {"submitted_from": "2026-13-45", "submitted_to": "yesterday", "channel": "fax"},
            {"q": "%" * 500, "overdue": "maybe", "page": "99999999999"},
        ):
            assert client.get(reverse("case_queue"), query).status_code == 200


class TestGarbageNeverFails:
    """Every form that writes answers bad input with a page or a redirect, never a 500."""

    GARBAGE = [
        {},
        {"category": "abc", "area": "-1", "title": "\x00", "description": "x" * 10_000},
        {"latitude": "1e999", "longitude": "nan", "reporter_phone": "٣٣٣", "is_anonymous": "x"},
    ]

    def test_public_forms(self, tree, submit):
        case = submit()
        for data in self.GARBAGE:
            for url in (
                reverse("case_report"),
                reverse("case_track"),
                reverse("case_track_detail", args=[case.tracking_code]),
            ):
                assert Client().post(url, data).status_code < 500, (url, data)

    def test_staff_forms(self, tree, submit):
        case = submit()
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        urls = [
            reverse("case_staff_entry"),
            reverse("case_category_new"),
            reverse("case_template_new"),
            reverse("case_import"),
            reverse("notifications"),
            *(
                reverse("case_act", args=[case.pk, a])
                for a in (
                    "accept",
                    "dispatch",
                    "transfer",
                    "resolve",
                    "reply",
                    "feedback",
                    "merge",
                    "reject",
                    "decide_transfer",
                    "nonsense",
                )
            ),
        ]
        for data in self.GARBAGE:
            for url in urls:
                assert client.post(url, data).status_code < 500, (url, data)
        case.refresh_from_db()
        assert case.status == Status.SUBMITTED
