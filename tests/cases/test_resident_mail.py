"""E-mails to residents who leave an address: receipt, answer, rejection, merge; their language."""

from __future__ import annotations

from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from jiceng.cases import services
from jiceng.cases.models import Case, Category, Status
from jiceng.core.actors import SYSTEM
from jiceng.orgs.services import api_key_create

SITE = "https://jiceng.example.org"
ADDRESS = "wang@example.org"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def _to_resident() -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [ADDRESS]]


def _report(tree, client: Client, headers: dict[str, str], **overrides) -> Case:
    data = {
        "category": Category.objects.get(code="lift").pk,
        "area": tree.community_a1.pk,
        "title": "3号楼电梯停运",
        "description": "3号楼电梯从周五起停运，楼里老人上下楼很困难。",
        "reporter_email": ADDRESS,
        **overrides,
    }
    response = client.post(reverse("case_report"), data, **headers)
    assert response.status_code == 302, response.content.decode()
    return Case.objects.get()


class TestReceipt:
    def test_a_chinese_form_gets_a_chinese_receipt_with_the_tracking_link(
        self, tree, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case = _report(tree, Client(), ZH)
        assert case.reporter_language == "zh-hans"
        [receipt] = _to_resident()
        assert receipt.subject == f"您的诉求 {case.tracking_code} 已收到"
        assert f"查询码：{case.tracking_code}" in receipt.body
        assert f"{SITE}/track/{case.tracking_code}/" in receipt.body
        # The category and the date as the Chinese pages show them.
        assert "电梯故障" in receipt.body and "Lift breakdown" not in receipt.body
        assert "年" in receipt.body
        assert tree.community_a1.name in receipt.body

    def test_an_english_form_gets_an_english_receipt(
        self, tree, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case = _report(tree, Client(), EN)
        assert case.reporter_language == "en"
        [receipt] = _to_resident()
        assert receipt.subject == f"Your request {case.tracking_code} has been received"
        assert "Lift breakdown" in receipt.body and "电梯故障" not in receipt.body
        assert f"{SITE}/track/{case.tracking_code}/" in receipt.body

    def test_an_anonymous_resident_gets_one_too(self, tree, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            case = _report(tree, Client(), ZH, is_anonymous="on")
        assert case.is_anonymous and len(_to_resident()) == 1

    def test_nothing_is_sent_without_an_address(self, tree, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            _report(tree, Client(), ZH, reporter_email="")
        assert mail.outbox == []

    def test_open311_email_gets_the_receipt_in_the_requests_language(
        self, tree, client, django_capture_on_commit_callbacks
    ):
        _, key = api_key_create(actor=SYSTEM, name="微信小程序对接", unit=tree.street_a)
        data = {
            "api_key": key,
            "service_code": "rubbish",
            "area_code": "QH-DH-LA",
            "description": "柳岸路88号小区垃圾站已经三天没有清运，气味很大，请尽快处理。",
            "email": ADDRESS,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/open311/v2/requests.json", data, **EN)
        assert response.status_code == 200, response.content
        case = Case.objects.get()
        assert (case.reporter_email, case.reporter_language) == (ADDRESS, "en")
        [receipt] = _to_resident()
        assert receipt.subject == f"Your request {case.tracking_code} has been received"
        assert "Rubbish collection" in receipt.body and "年" not in receipt.body
        assert f"{SITE}/track/{case.tracking_code}/" in receipt.body

    def test_imports_keep_no_language_and_mail_in_the_sites(
        self, submit, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case = submit(reporter_email=ADDRESS)
        assert case.reporter_language == ""
        [receipt] = _to_resident()
        assert "年" in receipt.body  # the site's language, Chinese


class TestLaterMessages:
    def test_the_resolution_carries_the_reply_the_link_and_the_deadline(
        self, tree, submit, secretary, django_capture_on_commit_callbacks
    ):
        case = submit(reporter_email=ADDRESS, reporter_language="en")
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        with django_capture_on_commit_callbacks(execute=True):
            services.case_resolve(case=case, actor=secretary, body="垃圾已全部清运，站点已消毒。")
        [answer] = _to_resident()
        assert answer.subject == f"Your request {case.tracking_code} has been answered"
        assert "垃圾已全部清运，站点已消毒。" in answer.body
        assert f"{SITE}/track/{case.tracking_code}/" in answer.body
        assert "Was the problem solved?" in answer.body
        assert "within 5 working days" in answer.body
        assert "年" not in answer.body  # the deadline's date in English too

    def test_a_rejection_carries_the_reason(
        self, submit, secretary, django_capture_on_commit_callbacks
    ):
        case = submit(reporter_email=ADDRESS, reporter_language="en")
        with django_capture_on_commit_callbacks(execute=True):
            services.case_reject(case=case, actor=secretary, note="属物业管理范围，请联系物业。")
        [rejection] = _to_resident()
        assert rejection.subject == f"Your request {case.tracking_code} was not accepted"
        assert "Reason: 属物业管理范围，请联系物业。" in rejection.body
        assert f"{SITE}/track/{case.tracking_code}/" in rejection.body

    def test_a_merge_names_the_request_it_is_handled_with(
        self, submit, secretary, django_capture_on_commit_callbacks
    ):
        kept = submit()
        case = submit(reporter_email=ADDRESS, reporter_language="en")
        with django_capture_on_commit_callbacks(execute=True):
            services.case_merge(case=case, actor=secretary, into=kept)
        [merged] = _to_resident()
        assert kept.tracking_code in merged.subject
        assert f"{SITE}/track/{kept.tracking_code}/" in merged.body
        assert f"{SITE}/track/{case.tracking_code}/" in merged.body

    def test_nothing_is_sent_without_an_address(
        self, tree, submit, secretary, django_capture_on_commit_callbacks
    ):
        case = submit()
        with django_capture_on_commit_callbacks(execute=True):
            services.case_accept(case=case, actor=secretary)
            services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
            services.case_resolve(case=case, actor=secretary, body="已处理。")
            services.case_reject(case=submit(), actor=secretary, note="重复。")
        assert mail.outbox == []

    def test_a_failing_mail_server_does_not_undo_the_action(
        self, submit, secretary, django_capture_on_commit_callbacks
    ):
        case = submit(reporter_email=ADDRESS)
        with (
            mock.patch("jiceng.cases.tasks.send_mail", side_effect=SMTPException("down")) as sent,
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.case_reject(case=case, actor=secretary, note="属物业管理范围。")
        assert sent.called
        case.refresh_from_db()
        assert case.status == Status.REJECTED

    def test_nothing_is_sent_before_the_transaction_commits(
        self, submit, secretary, django_capture_on_commit_callbacks
    ):
        case = submit(reporter_email=ADDRESS)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.case_reject(case=case, actor=secretary, note="属物业管理范围。")
        assert callbacks and mail.outbox == []
