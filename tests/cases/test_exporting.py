"""Export of the case list: CSV and XLSX contents, filters, scoping and a constant query count."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from jiceng.cases import services
from jiceng.cases.exporting import export_header, export_rows
from jiceng.cases.forms_transfer import CaseFilterForm
from jiceng.cases.models import Category, Channel, Satisfaction, Solved, Status
from jiceng.cases.selectors import CaseFilter, unit_queue
from jiceng.core.actors import RESIDENT
from jiceng.orgs.roles import Capability, Role, role_has_capability
from tests.factories import actor_for

pytestmark = pytest.mark.urls("tests.cases.transfer_urls")

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ENGLISH_HEADER = [
    "Tracking code",
    "Submitted at",
    "Category group",
    "Category",
    "Title",
    "Address",
    "Community",
    "Channel",
    "Priority",
    "Status",
    "Held by",
    "Respond by",
    "Resolve by",
    "Accepted at",
    "Resolved at",
    "Closed at",
    "Overdue",
    "Transfers",
    "Reopened",
    "Escalations",
    "Latest satisfaction",
]
SHANGHAI = timezone.get_default_timezone()
OLD = datetime(2025, 3, 3, 10, 15, tzinfo=SHANGHAI)


@pytest.fixture
def cases(tree, submit, actors):
    """Four requests: one closed after a reopening, one overdue phone call, two elsewhere."""
    secretary = actors[Role.BRANCH_SECRETARY]
    worker = actors[Role.GRID_WORKER]
    closed = submit(title="小区垃圾站满溢", address="柳岸路88号")
    services.case_accept(case=closed, actor=secretary)
    services.case_dispatch(case=closed, actor=secretary, to_unit=tree.grid_a1)
    services.case_resolve(case=closed, actor=worker, body="已联系环卫清运。")
    services.case_feedback(
        case=closed, actor=RESIDENT, solved=Solved.NO, satisfaction=Satisfaction.VERY_DISSATISFIED
    )
    services.case_resolve(case=closed, actor=worker, body="已再次清运并加密清运频次。")
    services.case_feedback(
        case=closed, actor=RESIDENT, solved=Solved.YES, satisfaction=Satisfaction.SATISFIED
    )
    late = submit(
        actor=secretary,
        channel=Channel.PHONE,
        title="=HYPERLINK(“http://evil.example”)",
        address="-柳岸路90号",
        submitted_at=OLD,
    )
    elsewhere = submit(area=tree.community_b1, title="村口路灯不亮")
    neighbour = submit(
        area=tree.community_a2,
        category=Category.objects.get(code="parking"),
        title="消防通道被车辆占用",
    )
    closed.refresh_from_db()
    return {"closed": closed, "late": late, "elsewhere": elsewhere, "neighbour": neighbour}


def _signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _export(client: Client, **params):
    return client.get(reverse("case_export"), params, **EN)


def _codes(rows) -> set[str]:
    return {row[0] for row in rows[1:]}


class TestCsv:
    def test_headers_and_a_row_in_english(self, tree, cases):
        response = _export(_signed_in(tree, Role.BRANCH_SECRETARY), format="csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="cases-')
        rows = _csv_rows(response)
        assert rows[0] == ENGLISH_HEADER
        assert _codes(rows) == {cases["closed"].tracking_code, cases["late"].tracking_code}
        closed = cases["closed"]
        row = next(r for r in rows if r[0] == closed.tracking_code)
        submitted = timezone.localtime(closed.submitted_at).strftime("%Y-%m-%d %H:%M")
        assert row[1] == submitted
        assert row[2:7] == [
            "Environment and sanitation",
            "Rubbish collection",
            "小区垃圾站满溢",
            "柳岸路88号",
            "柳岸社区",
        ]
        assert row[7:11] == ["Resident web form", "Normal", "Closed", "柳岸第一网格"]
        assert row[13] and row[14] and row[15]  # accepted, resolved, closed
        assert row[16:] == ["No", "0", "1", "0", "Satisfied"]  # the latest round's rating

    def test_chinese_text_is_readable(self, tree, cases):
        response = _signed_in(tree, Role.BRANCH_SECRETARY).get(
            reverse("case_export"), {"format": "csv"}, **ZH
        )
        rows = _csv_rows(response)
        with translation.override("zh-hans"):
            assert rows[0] == export_header()
            closed_label = str(Status.CLOSED.label)
        row = next(r for r in rows if r[0] == cases["closed"].tracking_code)
        assert row[2:5] == ["环境卫生", "垃圾清运", "小区垃圾站满溢"]
        assert row[9] == closed_label

    def test_overdue_and_spreadsheet_formulas(self, tree, cases):
        rows = _csv_rows(_export(_signed_in(tree, Role.BRANCH_SECRETARY)))
        row = next(r for r in rows if r[0] == cases["late"].tracking_code)
        assert row[1] == "2025-03-03 10:15"
        assert row[4] == "'=HYPERLINK(“http://evil.example”)"  # not run as a formula
        assert row[5] == "'-柳岸路90号"
        assert row[7] == "Phone call" and row[16] == "Yes" and row[20] == ""


class TestXlsx:
    def test_contents_with_dates_and_chinese_text(self, tree, cases):
        response = _signed_in(tree, Role.STREET_SUPERVISOR).get(
            reverse("case_export"), {"format": "xlsx"}, **EN
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert 'filename="cases-' in response["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = workbook.worksheets[0]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert rows[0] == ENGLISH_HEADER
        by_code = {row[0]: row for row in rows[1:]}
        expected = {cases[name].tracking_code for name in ("closed", "late", "neighbour")}
        assert set(by_code) == expected  # 东湖街道's subtree, not 石泉镇's
        late = by_code[cases["late"].tracking_code]
        assert late[1] == datetime(2025, 3, 3, 10, 15)
        assert late[4] == "=HYPERLINK(“http://evil.example”)"
        title_cell = sheet.cell(row=list(by_code).index(late[0]) + 2, column=5)
        assert title_cell.data_type == "s"
        neighbour = by_code[cases["neighbour"].tracking_code]
        assert neighbour[4:7] == ["消防通道被车辆占用", None, "桂香社区"]
        closed = by_code[cases["closed"].tracking_code]
        assert closed[17:] == [0, 1, 0, "Satisfied"]

    def test_too_many_rows_for_a_spreadsheet_are_refused(self, tree, cases, settings):
        settings.CASE_EXPORT_MAX_XLSX_ROWS = 2
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        response = _export(client, format="xlsx")
        assert response.status_code == 400
        assert "More than 2 requests match" in response.content.decode()
        assert len(_csv_rows(_export(client, format="csv"))) == 4  # CSV has no limit
        assert _export(client, format="xlsx", unit="QH-DH-GX").status_code == 200


class TestFiltersAndScope:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, {"closed", "late", "neighbour"}),
            ({"status": "closed"}, {"closed"}),
            ({"category": "environment"}, {"closed", "late"}),  # a group: all its categories
            ({"category": "property"}, {"neighbour"}),
            ({"category": "rubbish"}, {"closed", "late"}),
            ({"channel": "phone"}, {"late"}),
            ({"overdue": "on"}, {"late"}),
            ({"open": "on"}, {"late", "neighbour"}),
            ({"unit": "QH-DH-GX"}, {"neighbour"}),
            ({"q": "消防通道"}, {"neighbour"}),
            ({"submitted_to": "2025-03-03"}, {"late"}),
            ({"submitted_from": "2025-03-04"}, {"closed", "neighbour"}),
        ],
    )
    def test_the_queues_filters_are_honoured(self, tree, cases, params, expected):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        rows = _csv_rows(_export(client, **params))
        assert _codes(rows) == {cases[name].tracking_code for name in expected}

    def test_a_tracking_code_finds_its_case(self, tree, cases):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        code = cases["late"].tracking_code
        assert _codes(_csv_rows(_export(client, q=code.lower()))) == {code}

    def test_a_grid_worker_exports_only_the_grids_cases(self, tree, cases):
        client = _signed_in(tree, Role.GRID_WORKER)
        assert _codes(_csv_rows(_export(client))) == {cases["closed"].tracking_code}
        for unit in ("QH-SQ-QS", "QH-DH-LA"):  # another street's village; the unit above
            response = _export(client, unit=unit)
            assert response.status_code == 400
            assert "among the units you serve" in response.content.decode()
            assert cases["elsewhere"].tracking_code not in response.content.decode()

    def test_bad_filters_are_refused_with_a_message(self, tree, cases):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        for params in (
            {"submitted_from": "2025-03-05", "submitted_to": "2025-03-01"},
            {"submitted_from": "yesterday"},
            {"status": "lost"},
            {"format": "pdf"},
            {"category": "no-such-code"},
        ):
            response = _export(client, **params)
            assert response.status_code == 400, params
            assert "text/html" in response["Content-Type"]

    @pytest.mark.parametrize("role", Role.values)
    def test_only_case_handlers_export(self, tree, cases, role):
        response = _export(_signed_in(tree, role))
        assert response.status_code == (
            200 if role_has_capability(role, Capability.CASE_HANDLE) else 403
        )

    def test_visitors_are_sent_to_sign_in(self, db):
        response = Client().get(reverse("case_export"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


class TestFilterForm:
    def test_an_empty_query_string_filters_nothing(self, tree, actors):
        form = CaseFilterForm(None, actor=actors[Role.STREET_SUPERVISOR])
        assert form.filters() == CaseFilter()

    def test_wrong_values_are_left_out_and_shown(self, tree, actors):
        form = CaseFilterForm(
            {"unit": "QH-SQ", "status": "closed", "submitted_from": "not a date"},
            actor=actors[Role.STREET_SUPERVISOR],
        )
        assert form.filters() == CaseFilter(status="closed")
        assert set(form.errors) == {"unit", "submitted_from"}

    def test_a_unit_in_the_subtree_becomes_its_path(self, tree, actors):
        form = CaseFilterForm({"unit": "QH-DH-LA", "open": "on"}, actor=actors[Role.DISTRICT_ADMIN])
        assert form.filters() == CaseFilter(unit_path=tree.community_a1.path, open_only=True)


class TestQueries:
    def _more_cases(self, submit, count: int) -> None:
        for number in range(count):
            submit(title=f"楼道灯不亮{number}")

    def test_rows_come_from_one_query_whatever_their_number(
        self, tree, cases, submit, actors, django_assert_max_num_queries
    ):
        supervisor = actor_for(tree.people[Role.STREET_SUPERVISOR])
        counts = []
        for extra in (0, 20):
            self._more_cases(submit, extra)
            queryset = unit_queue(supervisor, CaseFilter())
            with CaptureQueriesContext(connection) as captured:
                rows = list(export_rows(queryset))
            assert len(rows) == 3 + extra
            counts.append(len(captured))
        assert counts[0] == counts[1]
        with django_assert_max_num_queries(1):
            list(export_rows(unit_queue(supervisor, CaseFilter())))

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_a_whole_export_costs_the_same_for_more_rows(
        self, tree, cases, submit, fmt, django_assert_max_num_queries
    ):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        counts = []
        for extra in (0, 20):
            self._more_cases(submit, extra)
            with CaptureQueriesContext(connection) as captured:
                response = _export(client, format=fmt)
                body = b"".join(response.streaming_content)
            assert body
            counts.append(len(captured))
        assert counts[0] == counts[1]
        with django_assert_max_num_queries(counts[0]):
            b"".join(_export(client, format=fmt).streaming_content)
