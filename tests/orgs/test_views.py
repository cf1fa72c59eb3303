"""Staff pages end to end through the test client: sign-in, switching units, forms and errors."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.core.actors import SYSTEM
from jiceng.core.models import AuditEntry
from jiceng.orgs import services
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import Role
from tests.factories import PASSWORD

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _login(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


class TestSignIn:
    def test_by_user_name_or_mobile_number(self, tree):
        user = tree.people[Role.BRANCH_SECRETARY]
        user.phone = "13911112222"
        user.save()
        assert _login(Client(), user.username).status_code == 302
        response = _login(Client(), "13911112222")
        assert response.status_code == 302 and response["Location"] == reverse("staff_home")

    def test_wrong_password_gives_a_translated_error(self, tree):
        response = _login(Client(), "grid_worker", "wrong", **ZH)
        assert response.status_code == 200
        assert "用户名、手机号或密码不正确" in response.content.decode()
        response = _login(Client(), "grid_worker", "wrong", **EN)
        assert "The user name, mobile number or password is not right" in response.content.decode()

    def test_throttled_after_repeated_failures_even_with_the_right_password(self, tree):
        client = Client()
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            assert _login(client, "grid_worker", "wrong").status_code == 200
        response = _login(client, "grid_worker", PASSWORD, **EN)
        assert response.status_code == 200
        assert "Too many failed sign-ins" in response.content.decode()
        assert "_auth_user_id" not in client.session
        # Another account from another address is not affected.
        other = Client(REMOTE_ADDR="10.0.0.9")
        assert _login(other, "branch_secretary").status_code == 302

    def test_throttle_counts_per_address_across_accounts(self, tree, settings):
        settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
        client = Client(REMOTE_ADDR="10.1.1.1")
        for name in ("a", "b", "c"):
            _login(client, name, "wrong")
        response = _login(client, "branch_secretary", PASSWORD, **EN)
        assert "Too many failed sign-ins" in response.content.decode()
        assert _login(Client(REMOTE_ADDR="10.1.1.2"), "branch_secretary").status_code == 302

    def test_deactivated_accounts_cannot_sign_in(self, tree):
        services.user_set_active(
            actor=SYSTEM, user=tree.people[Role.GRID_WORKER], is_active=False, reason="离职"
        )
        assert _login(Client(), "grid_worker").status_code == 200

    def test_sign_in_applies_the_preferred_language(self, tree):
        user = tree.people[Role.STREET_SUPERVISOR]
        user.preferred_language = "en"
        user.save()
        client = Client()
        response = _login(client, user.username)
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        assert "Welcome" in client.get(reverse("staff_home")).content.decode()

    def test_empty_form_is_refused_without_error_500(self, db):
        response = Client().post(reverse("login"), {}, **EN)
        assert response.status_code == 200
        assert "This field is required" in response.content.decode()

    def test_open_redirects_are_ignored(self, tree):
        response = Client().post(
            reverse("login") + "?next=https://evil.example/",
            {"username": "grid_worker", "password": PASSWORD, "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("staff_home")

    def test_sign_out_needs_post(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        assert client.get(reverse("logout")).status_code == 405
        assert client.post(reverse("logout")).status_code == 302
        assert client.get(reverse("staff_home")).status_code == 302


class TestActingUnit:
    def test_a_person_with_two_roles_switches_between_them(self, tree):
        user = tree.people[Role.STREET_SUPERVISOR]
        second = services.membership_grant(
            actor=SYSTEM, user=user, unit=tree.street_b, role=Role.STREET_SUPERVISOR
        )
        client = Client()
        client.force_login(user)
        page = client.get(reverse("staff_home"), **ZH).content.decode()
        assert "东湖街道" in page and 'id="acting-select"' in page
        assert client.get(reverse("unit_detail", args=["QH-SQ-QS"])).status_code == 404
        client.post(reverse("switch_acting"), {"membership": second.pk})
        assert client.get(reverse("unit_detail", args=["QH-SQ-QS"])).status_code == 200
        assert client.get(reverse("unit_detail", args=["QH-DH-LA"])).status_code == 404
        api = client.get("/api/v1/me").json()
        assert api["acting_unit"]["code"] == "QH-SQ"
        assert len(api["memberships"]) == 2

    def test_cannot_switch_to_someone_elses_membership(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        foreign = tree.people[Role.DISTRICT_ADMIN].memberships.get()
        response = client.post(reverse("switch_acting"), {"membership": foreign.pk}, **EN)
        assert response.status_code == 302
        assert client.get("/api/v1/me").json()["acting_unit"]["code"] == "QH-DH-LA-01"
        for bad in ({"membership": "x"}, {}):
            assert client.post(reverse("switch_acting"), bad).status_code == 302

    def test_a_user_without_roles_is_told_so(self, tree):
        user = User.objects.create_user(username="lonely", password=PASSWORD, display_name="孤")
        client = Client()
        client.force_login(user)
        response = client.get(reverse("staff_home"), **EN)
        assert response.status_code == 403
        assert "You hold no role in any unit" in response.content.decode()


class TestHomePerRole:
    @pytest.mark.parametrize("role", list(Role.values))
    def test_home_names_the_role_and_its_duties(self, tree, role):
        client = _signed_in(tree, role)
        with translation.override("zh-hans"):
            label = str(Role(role).label)
        page = client.get(reverse("staff_home"), **ZH).content.decode()
        assert label in page
        assert tree.unit_of(role).name in page

    def test_supervisor_sees_counts_of_units_below(self, tree):
        page = _signed_in(tree, Role.STREET_SUPERVISOR).get(reverse("staff_home"), **EN)
        counts = page.content.decode()
        assert "Community: 2" in counts and "Grid: 1" in counts

    @pytest.mark.django_db(transaction=True)
    def test_calendar_managers_are_warned_of_an_unknown_year(self, tree):
        from jiceng.core.actors import SYSTEM
        from jiceng.core.calendar import get_calendar
        from jiceng.core.services import calendar_day_set

        admin = _signed_in(tree, Role.DISTRICT_ADMIN)
        worker = _signed_in(tree, Role.GRID_WORKER)
        missing = get_calendar().years_missing(timezone.localdate())
        for year in missing:
            text = admin.get(reverse("staff_home"), **EN).content.decode()
            assert f"The official holidays of {year} are not known" in text
            assert "are not known" not in worker.get(reverse("staff_home")).content.decode()
            calendar_day_set(actor=SYSTEM, date=datetime.date(year, 1, 1), kind="holiday")
        text = admin.get(reverse("staff_home"), **EN).content.decode()
        assert "are not known to the system yet" not in text


class TestUnitPages:
    def test_tree_expands_children_on_demand(self, tree):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        page = client.get(reverse("unit_tree")).content.decode()
        assert "柳岸社区" in page and "柳岸第一网格" not in page
        partial = client.get(reverse("unit_children", args=["QH-DH-LA"]), HTTP_HX_REQUEST="true")
        assert "柳岸第一网格" in partial.content.decode()

    def test_search_rejects_overlong_input_cleanly(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        response = client.get(reverse("unit_tree"), {"q": "x" * 500, "kind": "nonsense"})
        assert response.status_code == 200

    def test_admin_edits_a_unit(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        url = reverse("unit_edit", args=["QH-DH-LA"])
        response = client.post(
            url,
            {
                "name": "柳岸社区",
                "population": "9100",
                "address": "柳岸路2号",
                "phone": "",
                "is_active": "on",
            },
        )
        assert response.status_code == 302
        assert OrgUnit.objects.get(code="QH-DH-LA").population == 9100

    @pytest.mark.parametrize(
        "data",
        [
            {"name": "", "population": "1"},
            {"name": "x", "population": "-5"},
            {"name": "x", "population": "many"},
            {"name": "x" * 101, "population": "1"},
        ],
    )
    def test_bad_unit_input_changes_nothing(self, tree, data):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        before = list(OrgUnit.objects.values_list("name", "population"))
        response = client.post(reverse("unit_edit", args=["QH-DH-LA"]), data, **ZH)
        assert response.status_code == 200
        assert 'class="invalid-feedback d-block"' in response.content.decode()
        assert list(OrgUnit.objects.values_list("name", "population")) == before

    def test_admin_adds_a_unit_below(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        url = reverse("unit_add_child", args=["QH-DH"])
        data = {"code": "QH-DH-XY", "name": "新苑社区", "kind": "community", "population": "5000"}
        assert client.post(url, data).status_code == 302
        assert OrgUnit.objects.get(code="QH-DH-XY").depth == 3
        again = client.post(url, data, **EN)
        assert "Another unit uses the code QH-DH-XY" in again.content.decode()
        wrong_kind = client.post(url, {**data, "code": "QH-DH-ZZ", "kind": "grid"}, **EN)
        assert wrong_kind.status_code == 200
        assert not OrgUnit.objects.filter(code="QH-DH-ZZ").exists()


class TestPeoplePages:
    def _create_data(self, **overrides):
        data = {
            "username": "wangfang",
            "display_name": "王芳",
            "phone": "13987654321",
            "email": "",
            "preferred_language": "zh-hans",
            "unit": "QH-DH-GX",
            "role": "community_staff",
            "title": "社工",
            "password1": "Spring-river-2026",
            "password2": "Spring-river-2026",
        }
        data.update(overrides)
        return data

    def test_admin_creates_a_person_who_can_sign_in(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        response = client.post(reverse("user_create"), self._create_data())
        user = User.objects.get(username="wangfang")
        assert response["Location"] == reverse("user_detail", args=[user.pk])
        assert _login(Client(), "13987654321", "Spring-river-2026").status_code == 302
        assert user.memberships.get().unit.code == "QH-DH-GX"

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"username": ""}, "这个字段是必填项"),
            ({"username": "bad name!"}, "只能使用字母"),
            ({"phone": "12345"}, "11 位"),
            ({"email": "not-an-email"}, "有效的 Email 地址"),
            ({"unit": "NOPE"}, "没有代码为 NOPE"),
            ({"role": "emperor"}, "选择一个有效的选项"),
            ({"role": "street_supervisor"}, "不能在社区担任"),
            ({"password2": "different"}, "两次输入的密码不一致"),
            ({"password1": "12345678", "password2": "12345678"}, "密码"),
            ({"role": "system_admin"}, "选择一个有效的选项"),
        ],
    )
    def test_bad_person_input_is_explained_in_chinese_and_changes_nothing(
        self, tree, overrides, message
    ):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        users_before = User.objects.count()
        response = client.post(reverse("user_create"), self._create_data(**overrides), **ZH)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert User.objects.count() == users_before

    def test_unit_outside_the_subtree_cannot_be_chosen(self, tree):
        from tests.factories import make_unit

        make_unit(None, "district", "临江区", code="LJ")
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        response = client.post(reverse("user_create"), self._create_data(unit="LJ"), **EN)
        assert "No active unit with the code LJ" in response.content.decode()

    def test_grant_and_end_a_role_through_the_pages(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        worker = tree.people[Role.GRID_WORKER]
        url = reverse("membership_add", args=[worker.pk])
        detail = reverse("user_detail", args=[worker.pk])
        response = client.post(url, {"unit": "QH-DH-LA", "role": "community_staff", "title": ""})
        assert response["Location"] == detail
        membership = Membership.objects.get(user=worker, unit__code="QH-DH-LA")
        client.post(reverse("membership_end", args=[membership.pk]), {"reason": ""})
        membership.refresh_from_db()
        assert membership.is_active
        client.post(reverse("membership_end", args=[membership.pk]), {"reason": "调整"})
        membership.refresh_from_db()
        assert not membership.is_active
        page = client.get(detail, **ZH).content.decode()
        assert "orgs.membership.ended" in page and "调整" in page

    def test_bad_membership_input_changes_nothing(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        worker = tree.people[Role.GRID_WORKER]
        before = Membership.objects.count()
        for data in ({}, {"unit": "QH-DH", "role": "grid_worker"}, {"unit": "X", "role": "x"}):
            response = client.post(reverse("membership_add", args=[worker.pk]), data, follow=True)
            assert response.status_code == 200
        assert Membership.objects.count() == before

    def test_password_reset_and_deactivation(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        worker = tree.people[Role.GRID_WORKER]
        url = reverse("user_password", args=[worker.pk])
        client.post(url, {"password1": "short", "password2": "short"})
        worker.refresh_from_db()
        assert worker.check_password(PASSWORD)
        client.post(url, {"password1": "Autumn-leaves-88", "password2": "Autumn-leaves-88"})
        worker.refresh_from_db()
        assert worker.check_password("Autumn-leaves-88")
        client.post(reverse("user_active", args=[worker.pk]), {"reason": ""})
        worker.refresh_from_db()
        assert worker.is_active
        client.post(reverse("user_active", args=[worker.pk]), {"reason": "长期病假"})
        worker.refresh_from_db()
        assert not worker.is_active

    def test_admin_cannot_deactivate_themselves(self, tree):
        admin = tree.people[Role.DISTRICT_ADMIN]
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        response = client.post(reverse("user_active", args=[admin.pk]), {"reason": "试试"})
        assert response.status_code == 403
        admin.refresh_from_db()
        assert admin.is_active

    def test_profile_edits_own_details(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        response = client.post(
            reverse("profile"),
            {
                "display_name": "网格员小周",
                "phone": "13800001111",
                "email": "",
                "preferred_language": "en",
            },
        )
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        user = User.objects.get(username="grid_worker")
        assert (user.display_name, user.phone, user.preferred_language) == (
            "网格员小周",
            "13800001111",
            "en",
        )
        bad = client.post(
            reverse("profile"),
            {"display_name": "", "phone": "999", "email": "x", "preferred_language": "fr"},
        )
        assert bad.status_code == 200
        user.refresh_from_db()
        assert user.display_name == "网格员小周"

    def test_user_list_query_count_does_not_grow_with_the_page(
        self, tree, django_assert_max_num_queries
    ):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        client.get(reverse("user_list"))
        for n in range(20):
            services.user_create(
                actor=SYSTEM,
                username=f"extra{n}",
                display_name=f"人员{n}",
                password=PASSWORD,
                unit=tree.community_a1,
                role=Role.COMMUNITY_STAFF,
            )
        with django_assert_max_num_queries(12):
            response = client.get(reverse("user_list"))
        assert response.status_code == 200

    def test_audit_list_shows_actions_of_the_subtree(self, tree):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        client.post(
            reverse("user_active", args=[tree.people[Role.GRID_WORKER].pk]), {"reason": "测试"}
        )
        page = client.get(reverse("audit_list"), {"action": "orgs.user"}).content.decode()
        assert "orgs.user.deactivated" in page
        assert AuditEntry.objects.filter(action="orgs.user.deactivated").exists()


class TestLanguageSwitch:
    def test_a_signed_in_persons_choice_is_kept(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        client.post(reverse("set_language"), {"language": "en", "next": "/staff/"})
        assert User.objects.get(username="grid_worker").preferred_language == "en"
        assert AuditEntry.objects.filter(action="orgs.user.language_set").count() == 1

    def test_an_unknown_language_changes_nothing(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        response = client.post(reverse("set_language"), {"language": "xx", "next": "/staff/"})
        assert response.status_code == 302
        assert User.objects.get(username="grid_worker").preferred_language == "zh-hans"

    def test_visitors_switch_without_an_account(self, db):
        response = Client().post(reverse("set_language"), {"language": "en", "next": "/"})
        assert response.status_code == 302
        assert Client().get(reverse("set_language")).status_code == 405


class TestPasswordChange:
    def test_wrong_old_password_and_mismatch_are_refused(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        url = reverse("password_change")
        bad = [
            {
                "old_password": "wrong",
                "new_password1": "Fresh-start-2026",
                "new_password2": "Fresh-start-2026",
            },
            {
                "old_password": PASSWORD,
                "new_password1": "Fresh-start-2026",
                "new_password2": "other",
            },
            {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
            {},
        ]
        for data in bad:
            response = client.post(url, data, **ZH)
            assert response.status_code == 200
            assert "invalid-feedback" in response.content.decode()
        user = User.objects.get(username="grid_worker")
        assert user.check_password(PASSWORD)
        good = {
            "old_password": PASSWORD,
            "new_password1": "Fresh-start-2026",
            "new_password2": "Fresh-start-2026",
        }
        assert client.post(url, good).status_code == 302
        user.refresh_from_db()
        assert user.check_password("Fresh-start-2026")


class TestLocalisedFormats:
    def test_dates_and_numbers_follow_the_language(self, tree):
        from django.template import Context, Template

        template = Template('{% load humanize %}{{ day|date:"DATE_FORMAT" }} {{ big|intcomma }}')
        context = Context({"day": datetime.date(2026, 2, 17), "big": 1234567})
        with translation.override("zh-hans"):
            assert template.render(context) == "2026年2月17日 1234567"
        with translation.override("en"):
            assert template.render(context) == "Feb. 17, 2026 1,234,567"

    def test_times_are_shown_in_shanghai_time(self, tree):
        from django.template import Context, Template

        moment = datetime.datetime(2026, 2, 16, 16, 30, tzinfo=datetime.UTC)
        template = Template('{{ moment|date:"Y-m-d H:i" }}')
        assert template.render(Context({"moment": moment})) == "2026-02-17 00:30"


class TestListQueryCounts:
    def test_unit_pages_cost_the_same_for_many_children(self, tree, django_assert_max_num_queries):
        from tests.factories import make_unit

        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        for n in range(30):
            make_unit(tree.street_a, "community", f"新社区{n}")
        for url in (reverse("unit_tree"), reverse("unit_detail", args=["QH-DH"])):
            with django_assert_max_num_queries(10):
                assert client.get(url).status_code == 200
        with django_assert_max_num_queries(8):
            assert client.get(reverse("unit_children", args=["QH-DH"])).status_code == 200
