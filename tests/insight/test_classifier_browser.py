"""Browser journey: a resident leaves the category to the classifier, it is not sure, the
community's staff pick its first suggestion in one click, and the district administrator trains
a new version that has learnt from the correction."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.cases.default_categories import load
from jiceng.cases.models import Case, Category
from jiceng.insight.models_classifier import CategoryCorrection, ClassifierModel
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.insight.classifier_helpers import FAST, trained

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suggestions_correction_and_retraining_in_the_browser(
    browser, live_server, tree, artefacts, settings, tmp_path, monkeypatch
):
    load(Category)  # transactional tests flush the categories the migration loaded
    settings.CLASSIFIER_DIR = tmp_path / "models"
    settings.CLASSIFIER_THRESHOLD = 1.01  # never sure: staff choose from the suggestions
    trained(tree.community_a1)
    from jiceng.insight import classifier_services

    real = classifier_services.classifier_train
    monkeypatch.setattr(
        classifier_services,
        "classifier_train",
        lambda *, actor, activate=True, config=None: real(
            actor=actor, activate=activate, config=FAST
        ),
    )

    context, page = open_page(browser, live_server, viewport=PHONE, timeout_ms=30_000)
    page.goto(live_server.url + reverse("case_report"))
    page.locator('select[name="area"]').select_option(str(tree.community_a1.pk))
    page.locator('input[name="title"]').fill("电梯停了")
    page.locator('textarea[name="description"]').fill(
        "单元电梯坏了好几天，老人下不了楼，请维修电梯。"
    )
    page.locator('form button[type="submit"]').last.click()
    page.wait_for_url("**/report/done/")
    context.close()
    case = Case.objects.order_by("-pk").first()
    assert case is not None and case.category.code == "other-matters"

    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.COMMUNITY_STAFF],
        timeout_ms=30_000,
    )
    page.goto(live_server.url + reverse("case_detail", args=[case.pk]))
    panel = page.locator('[data-testid="category-panel"]')
    panel.wait_for()
    assert "%" in panel.inner_text() and "电梯故障" in panel.inner_text()
    page.screenshot(path=str(artefacts / "classifier-suggestions.png"), full_page=True)
    panel.locator('[data-testid="category-suggestions"] button').first.click()
    page.locator(".alert-success").wait_for()
    context.close()
    case.refresh_from_db()
    assert case.category.code == "lift"
    assert CategoryCorrection.objects.filter(case=case).count() == 1

    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.DISTRICT_ADMIN],
        timeout_ms=30_000,
    )
    page.goto(live_server.url + reverse("classifier_models"))
    page.locator('[data-testid="corrections-since"]').wait_for()
    page.locator('[data-testid="retrain"]').click()
    page.locator('[data-testid="model-row"]').nth(1).wait_for()
    page.screenshot(path=str(artefacts / "classifier-models.png"), full_page=True)
    context.close()
    newest = ClassifierModel.objects.get(active=True)
    assert newest.version == 2 and newest.sample_count == trained_count() + 1


def trained_count() -> int:
    from tests.insight.classifier_corpus import rows

    return len(rows())
