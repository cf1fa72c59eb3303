"""The demo misconduct reports: filed and handled through the services, in every state, for the
inspectors' inbox and the conduct dashboard; idempotent."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.cases.models import Notification
from jiceng.conduct.demo_data import MISCONDUCT, seed_misconduct
from jiceng.conduct.misconduct_models import MisconductReport, MisconductStatus
from jiceng.conduct.misconduct_selectors import misconduct_inbox
from jiceng.orgs.demo_data import seed_units_and_people
from jiceng.orgs.models import User
from jiceng.orgs.roles import Role
from tests.factories import actor_for

pytestmark = pytest.mark.django_db


def test_demo_reports_are_seeded_once_in_every_state():
    out = io.StringIO()
    people = seed_units_and_people(out)
    with translation.override("en"):  # the printed receipt code is looked for in English
        assert seed_misconduct(people, out) == len(MISCONDUCT)
    reports = MisconductReport.objects.all()
    states = Counter(reports.values_list("status", flat=True))
    assert set(states) == set(MisconductStatus.values)
    assert set(reports.exclude(outcome="").values_list("outcome", flat=True)) == {
        "substantiated",
        "partly",
        "not_substantiated",
    }
    assert reports.filter(anonymous=False).exists() and reports.filter(anonymous=True).exists()
    assert reports.filter(events__kind="info").exists()
    assert reports.filter(events__kind="reply").count() >= 4
    # Filed and handled on the days the demo says, not all at the moment of seeding.
    oldest = reports.order_by("created_at").first()
    assert oldest is not None and oldest.created_at < timezone.now() - timedelta(days=30)
    for report in reports:
        moments = [event.created_at for event in report.events.order_by("pk")]
        assert moments == sorted(moments) and moments[0] == report.created_at
        assert moments[-1] <= timezone.now()

    inspector = User.objects.get(username="inspector-dh")
    acting = actor_for(inspector)
    assert acting.role == Role.DISCIPLINE_INSPECTOR
    assert misconduct_inbox(actor=acting).count() == 5
    assert Notification.objects.filter(recipient=inspector, verb="misconduct_filed").count() == 5
    printed = out.getvalue()
    assert "inspector-dh" in printed
    code = re.search(r"receipt code ([A-Z2-7]{4}(?:-[A-Z2-7]{1,4}){6})", printed)
    assert code is not None

    # The resident reads the answer with the printed code and passphrase.
    resident = Client()
    found = resident.post(
        reverse("misconduct_lookup"),
        {"code": code.group(1), "passphrase": MISCONDUCT[2].passphrase},
    )
    assert found.status_code == 302
    status = resident.get(reverse("misconduct_status")).content.decode()
    assert MISCONDUCT[2].answer[:20] in status

    # The dashboard of the street is not empty for the inspector.
    client = Client()
    client.force_login(inspector)
    page = client.get(reverse("conduct_dashboard"))
    assert page.context["misconduct"]["counts"].total == 5

    again = io.StringIO()
    assert seed_misconduct(people, again) == 0
    assert MisconductReport.objects.count() == len(MISCONDUCT)
