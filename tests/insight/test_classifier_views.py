"""The category panel on the case page, the correction, and the model history page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.cases.models import Case, Category
from jiceng.insight.classifier_services import predictions_record
from jiceng.insight.models_classifier import CategoryCorrection, ClassifierModel
from jiceng.orgs.roles import Role
from tests.factories import make_member
from tests.insight.classifier_helpers import FAST, trained

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _model_folder(settings, tmp_path, monkeypatch):
    settings.CLASSIFIER_DIR = tmp_path / "models"
    # Training from the page uses the quick settings of these tests.
    from jiceng.insight import classifier_services

    real = classifier_services.classifier_train
    monkeypatch.setattr(
        classifier_services,
        "classifier_train",
        lambda *, actor, activate=True, config=None: real(
            actor=actor, activate=activate, config=FAST
        ),
    )


def _client(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


@pytest.fixture
def predicted(tree) -> Case:
    """The corpus stored and learnt; a lift request filed under "noise" by mistake."""
    trained(tree.community_a1)
    case = Case.objects.filter(category__code="lift").first()
    assert case is not None
    Case.objects.filter(pk=case.pk).update(category=Category.objects.get(code="noise"))
    predictions_record({case.pk: "person"})
    return Case.objects.get(pk=case.pk)


class TestCasePanel:
    def test_staff_see_suggestions_with_confidence_and_correct_in_one_click(self, tree, predicted):
        client = _client(tree, Role.COMMUNITY_STAFF)
        page = client.get(reverse("case_detail", args=[predicted.pk]), **ZH).content.decode()
        assert 'data-testid="category-panel"' in page and "电梯故障" in page and "%" in page
        lift = Category.objects.get(code="lift")
        response = client.post(
            reverse("case_category_correct", args=[predicted.pk]), {"category": lift.pk}, **ZH
        )
        assert response.status_code == 302
        predicted.refresh_from_db()
        assert predicted.category == lift
        assert CategoryCorrection.objects.filter(case=predicted, to_category=lift).exists()
        page = client.get(response["Location"], **ZH).content.decode()
        assert "电梯故障" in page

    def test_the_panel_costs_a_few_queries_whatever_the_case(self, tree, predicted):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = _client(tree, Role.COMMUNITY_STAFF)
        other = Case.objects.exclude(pk=predicted.pk).first()
        assert other is not None  # stored without a prediction
        url = reverse("case_detail", args=[other.pk])
        client.get(url)  # warm the process caches
        with CaptureQueriesContext(connection) as without:
            client.get(url)
        with CaptureQueriesContext(connection) as with_panel:
            client.get(reverse("case_detail", args=[predicted.pk]))
        assert len(with_panel) - len(without) <= 1  # the suggested categories, in one query

    def test_a_bad_choice_is_explained_and_changes_nothing(self, tree, predicted):
        client = _client(tree, Role.COMMUNITY_STAFF)
        group = Category.objects.filter(parent=None).first()
        assert group is not None
        for value in (group.pk, "x", ""):
            response = client.post(
                reverse("case_category_correct", args=[predicted.pk]),
                {"category": value},
                follow=True,
                **EN,
            )
            assert response.status_code == 200
            assert "alert" in response.content.decode()
        assert not CategoryCorrection.objects.exists()

    def test_staff_of_another_street_get_not_found(self, tree, predicted):
        client = Client()
        outsider = make_member(tree.community_b1, Role.COMMUNITY_STAFF)
        client.force_login(outsider)
        noise = Category.objects.get(code="noise")
        response = client.post(
            reverse("case_category_correct", args=[predicted.pk]), {"category": noise.pk}
        )
        assert response.status_code == 404
        assert not CategoryCorrection.objects.exists()

    def test_readers_who_may_not_correct_see_no_form(self, tree, predicted):
        client = _client(tree, Role.STREET_SUPERVISOR)
        page = client.get(reverse("case_detail", args=[predicted.pk]), **EN).content.decode()
        assert 'data-testid="category-panel"' in page  # supervisors hold the capability
        client = _client(tree, Role.GRID_WORKER)  # the case lies outside the grid
        assert client.get(reverse("case_detail", args=[predicted.pk])).status_code == 404


class TestModelPage:
    def test_district_admin_sees_history_retrains_and_switches(self, tree, predicted):
        client = _client(tree, Role.DISTRICT_ADMIN)
        page = client.get(reverse("classifier_models"), **ZH).content.decode()
        assert page.count('data-testid="model-row"') == 1
        response = client.post(reverse("classifier_train"), **ZH)  # huey runs at once in tests
        assert response.status_code == 302
        assert ClassifierModel.objects.get(active=True).version == 2
        first = ClassifierModel.objects.get(version=1)
        client.post(reverse("classifier_activate", args=[first.pk]), **ZH)
        assert ClassifierModel.objects.get(active=True).version == 1
        page = client.get(reverse("classifier_models"), **EN).content.decode()
        assert page.count('data-testid="model-row"') == 2 and "Macro-F1" in page

    @pytest.mark.parametrize(
        "role",
        [Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR, Role.SYSTEM_ADMIN],
    )
    def test_others_are_refused(self, tree, role):
        model = trained(tree.community_a1)
        client = _client(tree, role)
        assert client.get(reverse("classifier_models")).status_code == 403
        assert client.post(reverse("classifier_train")).status_code == 403
        assert client.post(reverse("classifier_activate", args=[model.pk])).status_code == 403
        assert ClassifierModel.objects.count() == 1

    def test_anonymous_visitors_are_sent_to_sign_in(self, tree):
        response = Client().get(reverse("classifier_models"))
        assert response.status_code == 302 and "login" in response["Location"]

    def test_the_page_without_models(self, tree):
        client = _client(tree, Role.DISTRICT_ADMIN)
        page = client.get(reverse("classifier_models"), **EN)
        assert 'data-testid="no-models"' in page.content.decode()
        back = reverse("classifier_models")
        response = client.post(reverse("classifier_train"), follow=True, HTTP_REFERER=back, **EN)
        assert response.status_code == 200
        assert "Too few categorised requests" in response.content.decode()
        assert not ClassifierModel.objects.exists()


class TestReportForm:
    def test_a_resident_may_leave_the_category_to_the_classifier(self, tree, settings):
        trained(tree.community_a1)
        settings.CLASSIFIER_THRESHOLD = 0.0
        response = Client().post(
            reverse("case_report"),
            {
                "category": "",
                "area": tree.community_a1.pk,
                "title": "电梯坏了",
                "description": "单元电梯坏了三天，老人下不了楼，请维修电梯。",
            },
            **ZH,
        )
        assert response.status_code == 302
        case = Case.objects.order_by("-pk").first()
        assert case is not None and case.category.code == "lift"
