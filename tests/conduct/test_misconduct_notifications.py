"""New misconduct reports are announced to the discipline inspectors who handle them (in the app
and by e-mail), to nobody else, and without anything that identifies the reporter."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from jiceng.cases.models import Notification
from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.misconduct_models import MisconductKind, MisconductReport
from jiceng.conduct.misconduct_selectors import misconduct_inbox
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError
from jiceng.orgs import services as org_services
from jiceng.orgs.roles import Role
from tests.conduct.conftest import png
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db
NAME, PHONE = "周桂芳", "13700001111"
DETAILS = "窗口人员说要先请吃饭才给办低保复核"
PERSON = "窗口钱某"
PASS = "secret phrase 9"
SECRETS = (NAME, PHONE, DETAILS, PERSON, PASS)


def _file(tree, *, anonymous=False, unit=None):
    return svc.misconduct_file(
        kind=MisconductKind.EXTORTION,
        unit=unit or tree.community_a1,
        person=PERSON,
        details=DETAILS,
        anonymous=anonymous,
        name="" if anonymous else NAME,
        phone="" if anonymous else PHONE,
        passphrase=PASS,
        evidence=[png()],
    )


@pytest.fixture
def inspector(tree):
    user = tree.people[Role.DISCIPLINE_INSPECTOR]
    user.email = "inspector@example.org"
    user.preferred_language = "en"
    user.save()
    return user


def test_the_handling_inspectors_get_a_notification_and_an_email(
    tree, inspector, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report, code = _file(tree)
    [notification] = Notification.objects.all()
    assert notification.recipient == inspector and notification.case is None
    assert notification.verb == "misconduct_filed"
    assert notification.message == (
        f"New misconduct report MR-{report.pk} (Extortion or bribe-taking) about 柳岸社区. "
        "Open the misconduct reports to handle it."
    )
    [email] = mail.outbox
    assert email.to == ["inspector@example.org"]
    for text in (email.subject, email.body, notification.message):
        for secret in (*SECRETS, code, "anonymous", "named"):
            assert secret not in text


def test_each_inspector_reads_it_in_their_own_language(tree, inspector):
    second = make_member(tree.street_a, Role.DISCIPLINE_INSPECTOR, username="insp-zh")
    second.preferred_language = "zh-hans"
    second.save()
    report, _code = _file(tree, anonymous=True)
    messages = dict(Notification.objects.values_list("recipient__username", "message"))
    assert messages[inspector.username].startswith("New misconduct report")
    assert "Extortion or bribe-taking" in messages[inspector.username]
    # The type in Chinese (the sentence itself follows once the catalogue has it).
    assert f"MR-{report.pk}" in messages["insp-zh"] and "吃拿卡要" in messages["insp-zh"]


def test_nobody_else_is_told(tree, inspector):
    district_inspector = make_member(tree.district, Role.DISCIPLINE_INSPECTOR, username="insp-qh")
    _file(tree)
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {inspector.pk}
    for role in Role.values:
        if role != Role.DISCIPLINE_INSPECTOR:
            assert not Notification.objects.filter(recipient=tree.people[role]).exists()
    assert not Notification.objects.filter(recipient=district_inspector).exists()


def test_a_report_about_the_street_goes_to_the_district_inspectors(tree, inspector):
    district_inspector = make_member(tree.district, Role.DISCIPLINE_INSPECTOR, username="insp-qh")
    report, _code = _file(tree, unit=tree.street_a)
    assert report.handling_unit == tree.district
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        district_inspector.pk
    }


def test_an_inspector_who_also_serves_in_the_unit_concerned_is_neither_told_nor_shown(tree):
    """A street inspector who also holds a post in 柳岸社区 is that community's staff: the report
    goes to the other inspector, and the double-posted one cannot open it."""
    double = tree.people[Role.DISCIPLINE_INSPECTOR]
    make_member_in = make_member(tree.street_a, Role.DISCIPLINE_INSPECTOR, username="insp-2")
    org_services.membership_grant(
        actor=SYSTEM, user=double, unit=tree.community_a1, role=Role.COMMUNITY_STAFF
    )
    report, _code = _file(tree)
    assert report.handling_unit == tree.street_a
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {make_member_in.pk}
    acting = actor_for(double, tree.street_a)
    assert acting.role == Role.DISCIPLINE_INSPECTOR
    assert not misconduct_inbox(actor=acting).exists()
    # A report about the sibling community is theirs to handle.
    other, _code = _file(tree, unit=tree.community_a2)
    assert list(misconduct_inbox(actor=acting)) == [other]


def test_when_the_only_inspector_above_serves_below_the_report_goes_higher(tree):
    only = tree.people[Role.DISCIPLINE_INSPECTOR]
    district_inspector = make_member(tree.district, Role.DISCIPLINE_INSPECTOR, username="insp-qh")
    org_services.membership_grant(actor=SYSTEM, user=only, unit=tree.grid_a1, role=Role.GRID_WORKER)
    report, _code = _file(tree)
    assert report.handling_unit == tree.district
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        district_inspector.pk
    }


def test_information_added_by_the_reporter_is_announced_too(tree, inspector):
    report, _code = _file(tree, anonymous=True)
    svc.misconduct_add_info(report=report, text="补充：当时还有另一位群众在场。")
    latest = Notification.objects.filter(verb="misconduct_info").get()
    assert latest.recipient == inspector
    assert latest.message == (
        f"The reporter added information to misconduct report MR-{report.pk} about 柳岸社区."
    )
    assert "补充" not in latest.message


def test_the_notifications_page_shows_the_inspector_and_nobody_else(tree, inspector):
    report, _code = _file(tree)
    page = Client()
    page.force_login(inspector)
    body = page.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"MR-{report.pk}" in body
    for secret in SECRETS:
        assert secret not in body
    for role in (Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER):
        other = Client()
        other.force_login(tree.people[role])
        body = other.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f"MR-{report.pk}" not in body and "isconduct" not in body


def test_a_failed_report_announces_nothing(tree, inspector):
    with pytest.raises(DomainError):
        svc.misconduct_file(
            kind=MisconductKind.OTHER,
            unit=tree.community_a1,
            details=DETAILS,
            anonymous=True,
            passphrase="short",
        )
    assert not MisconductReport.objects.exists()
    assert not Notification.objects.exists()


def test_the_notification_opens_the_report_for_its_inspector_only(tree, inspector):
    report, _code = _file(tree)
    [notification] = Notification.objects.all()
    page = reverse("misconduct_detail", args=[report.pk])
    assert notification.link == page and notification.url == page
    client = Client()
    client.force_login(inspector)
    listed = client.get(reverse("notifications")).content.decode()
    assert f'<a href="{page}">{notification.message}</a>' in listed
    assert client.get(page).status_code == 200
    # Nobody else is notified, and the page stays closed to the unit concerned.
    secretary = Client()
    secretary.force_login(tree.people[Role.BRANCH_SECRETARY])
    assert page not in secretary.get(reverse("notifications")).content.decode()
    assert secretary.get(page).status_code == 404
