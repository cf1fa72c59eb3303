"""The inspectors' inbox filters (the conduct dashboard links into it with them): by type,
status and outcome, by unit (that unit and those below) and by the days received; never beyond
the inspector's own scope; bad input is a clear error, not a wider list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.misconduct_models import MisconductKind, MisconductReport
from jiceng.core import clock
from jiceng.orgs.roles import Role
from tests.factories import actor_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _file(unit, kind, days_ago=0):
    with clock.at(timezone.now() - timedelta(days=days_ago)):
        report, _code = svc.misconduct_file(
            kind=kind, unit=unit, details="窗口推诿不办", anonymous=True, passphrase="passphrase-1"
        )
    return report


@pytest.fixture
def reports(tree):
    inspector = actor_for(tree.people[Role.DISCIPLINE_INSPECTOR])
    concluded = _file(tree.community_a1, MisconductKind.EXTORTION, days_ago=30)
    svc.misconduct_triage(actor=inspector, report=concluded, accept=True)
    svc.misconduct_conclude(
        actor=inspector, report=concluded, outcome="partly", action_taken="批评教育"
    )
    return {
        "concluded": concluded,
        "grid": _file(tree.grid_a1, MisconductKind.SHIRKING),
        "other": _file(tree.community_a2, MisconductKind.SHIRKING),
        "elsewhere": _file(tree.community_b1, MisconductKind.SHIRKING),
    }


def _listed(client, **query) -> set[int]:
    page = client.get(reverse("misconduct_inbox"), query, **EN)
    assert page.status_code == 200
    return {report.pk for report in page.context["page"]}


def test_each_filter(tree, reports):
    client = Client()
    client.force_login(tree.people[Role.DISCIPLINE_INSPECTOR])
    ids = {name: report.pk for name, report in reports.items()}
    assert _listed(client) == {ids["concluded"], ids["grid"], ids["other"]}
    assert _listed(client, kind="shirking") == {ids["grid"], ids["other"]}
    assert _listed(client, status="concluded", outcome="partly") == {ids["concluded"]}
    assert _listed(client, unit="QH-DH-LA") == {ids["concluded"], ids["grid"]}
    assert _listed(client, unit="QH-DH-LA-01") == {ids["grid"]}
    today = timezone.localdate()
    assert _listed(client, start=str(today - timedelta(days=1))) == {ids["grid"], ids["other"]}
    assert _listed(client, end=str(today - timedelta(days=10))) == {ids["concluded"]}


def test_a_unit_outside_the_scope_lists_nothing(tree, reports):
    client = Client()
    client.force_login(tree.people[Role.DISCIPLINE_INSPECTOR])
    assert _listed(client, unit="QH-SQ") == set()
    assert _listed(client, unit="QH-SQ-QS") == set()
    assert MisconductReport.objects.filter(accused_path__startswith=tree.street_b.path).exists()


@pytest.mark.parametrize(
    "query",
    [{"unit": "NOPE"}, {"kind": "bogus"}, {"start": "2026-13-01"}, {"unit": "x" * 40}],
)
def test_bad_filters_say_so_and_list_the_whole_inbox(tree, reports, query):
    client = Client()
    client.force_login(tree.people[Role.DISCIPLINE_INSPECTOR])
    page = client.get(reverse("misconduct_inbox"), query, **EN)
    assert page.status_code == 200
    assert page.context["form"].errors
    assert 'role="alert"' in page.content.decode()
    assert len(page.context["page"].items) == 3
