"""Bulk import of hotline records: file types, the row-by-row report, all-or-nothing, the command
and the import page."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook
from PIL import Image

from jiceng.cases import importing
from jiceng.cases.importing import cases_import
from jiceng.cases.models import Case, CaseEvent, Category, Channel, EventKind, Priority
from jiceng.cases.services import deadlines_for
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Capability, Role, UnitKind, role_has_capability
from tests.factories import UserFactory, actor_for, make_unit

pytestmark = pytest.mark.urls("tests.cases.transfer_urls")

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = [
    "编号",
    "来电时间",
    "分类",
    "标题",
    "内容",
    "地址",
    "社区",
    "紧急程度",
    "联系人",
    "联系电话",
    "匿名",
]
ENGLISH_HEADER = [column.field for column in importing.COLUMNS]
SHANGHAI = timezone.get_default_timezone()


def _row(**overrides: str) -> list[str]:
    values = {
        "external_id": "RX-0001",
        "submitted_at": "2025-03-03 10:15",
        "category": "rubbish",
        "title": "小区垃圾站满溢",
        "description": "柳岸路88号小区垃圾站已经三天没有清运，气味很大。",
        "address": "柳岸路88号",
        "area": "QH-DH-LA",
        "priority": "普通",
        "reporter_name": "王先生",
        "reporter_phone": "13800138000",
        "anonymous": "否",
    }
    values.update(overrides)
    return [values[column.field] for column in importing.COLUMNS]


def _csv(rows, *, header=HEADER, encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _xlsx(rows, *, header=HEADER, above=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for line in above:
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(out, "PNG")
    return out.getvalue()


def _import(actor, content: bytes, name: str = "hotline.csv", **kwargs):
    return cases_import(actor=actor, file_name=name, content=content, **kwargs)


def _problems(result) -> set[tuple[int, str]]:
    return {(error.row, error.column) for error in result.errors}


class TestFileTypes:
    def test_a_utf8_csv_imports_every_row(self, tree, secretary):
        content = _csv(
            [
                _row(),
                _row(
                    external_id="RX-0002",
                    category="垃圾清运",
                    area="柳岸第一网格",
                    priority="紧急",
                    anonymous="是",
                ),
            ]
        )
        result = _import(secretary, content)
        assert result.ok and result.created == 2 and result.rows == 2
        cases = {case.external_id: case for case in Case.objects.all()}
        assert set(cases) == {"RX-0001", "RX-0002"}
        assert set(result.tracking_codes) == {case.tracking_code for case in cases.values()}
        first, second = cases["RX-0001"], cases["RX-0002"]
        assert first.channel == Channel.IMPORT and first.area == tree.community_a1
        assert first.reporter_name == "王先生" and first.reporter_phone == "13800138000"
        assert first.entered_by == tree.people[Role.BRANCH_SECRETARY]
        assert first.current_unit == tree.community_a1  # routed like any other request
        assert second.area == tree.grid_a1 and second.priority == Priority.URGENT
        assert second.is_anonymous and second.reporter_name == ""

    def test_a_csv_with_bom_and_english_headers(self, tree, secretary):
        content = _csv([_row(priority="urgent", anonymous="yes")], header=ENGLISH_HEADER, bom=True)
        result = _import(secretary, content)
        assert result.ok, result.errors
        case = Case.objects.get()
        assert case.external_id == "RX-0001" and case.title == "小区垃圾站满溢"
        assert case.priority == Priority.URGENT and case.is_anonymous

    def test_a_gb18030_csv_from_a_hotline_system(self, tree, secretary):
        # 㐀 is outside GBK: only a real GB18030 reading keeps it.
        content = _csv([_row(title="㐀小区垃圾站满溢", address="柳岸路88号")], encoding="gb18030")
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
        result = _import(secretary, content)
        assert result.ok, result.errors
        assert Case.objects.get().title == "㐀小区垃圾站满溢"

    def test_tab_separated_text_is_read_too(self, tree, secretary):
        lines = ["\t".join(HEADER), "\t".join(_row())]
        result = _import(secretary, "\n".join(lines).encode())
        assert result.ok, result.errors

    def test_excels_unicode_text_export_is_read(self, tree, secretary):
        """Excel's “Unicode text”: UTF-16 with a BOM, tab-separated."""
        lines = ["\t".join(HEADER), "\t".join(_row(title="楼道灯不亮"))]
        result = _import(secretary, "\r\n".join(lines).encode("utf-16"))
        assert result.ok, result.errors
        assert Case.objects.get().title == "楼道灯不亮"

    def test_an_xlsx_workbook_with_a_title_row_and_typed_cells(self, tree, secretary):
        row = _row(external_id="x", reporter_phone="x")
        row[0] = 2025030300001  # numbers and dates as Excel stores them
        row[1] = datetime(2025, 3, 3, 10, 15)
        row[9] = 13800138000
        content = _xlsx([row], above=[["12345热线工单导出"]])
        result = _import(secretary, content, name="export.csv")  # the name does not matter
        assert result.ok, result.errors
        case = Case.objects.get()
        assert case.external_id == "2025030300001"
        assert case.reporter_phone == "13800138000"
        assert case.submitted_at == datetime(2025, 3, 3, 10, 15, tzinfo=SHANGHAI)

    def test_xlsx_problems_carry_the_spreadsheet_row_numbers(self, tree, secretary):
        rows = [_row(), [], _row(external_id="RX-0002", title="")]
        content = _xlsx(rows, above=[["12345热线工单导出"], []])
        result = _import(secretary, content, name="export.xlsx")
        # Two rows above the header (row 3); the blank row 5 is skipped but still counted.
        assert _problems(result) == {(6, "标题")}
        assert Case.objects.count() == 0

    @pytest.mark.parametrize(
        ("content", "expected"),
        [
            (_png(), "neither a CSV file nor an Excel workbook"),
            (b"\x00\x01\x02binary", "neither a CSV file nor an Excel workbook"),
            (b"PK\x03\x04 not really a zip", "neither a CSV file nor an Excel workbook"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file (.xls)"),
        ],
    )
    def test_files_that_are_not_csv_or_xlsx_are_refused_by_content(
        self, tree, secretary, content, expected
    ):
        with translation.override("en"), pytest.raises(DomainError) as caught:
            _import(secretary, content, name="records.csv")
        assert expected in str(caught.value.message)
        assert caught.value.field == "file"
        assert Case.objects.count() == 0

    def test_a_zip_that_is_not_a_workbook_is_refused(self, tree, secretary):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("readme.txt", "hello")
        with translation.override("en"), pytest.raises(DomainError) as caught:
            _import(secretary, out.getvalue(), name="records.xlsx")
        assert "neither a CSV file nor an Excel workbook" in str(caught.value.message)

    def test_an_oversized_file_is_refused(self, tree, secretary, settings):
        settings.CASE_IMPORT_MAX_BYTES = 2 * 1024 * 1024
        content = _csv([_row(description="很" * 1000, external_id=f"R{i}") for i in range(800)])
        assert len(content) > 2 * 1024 * 1024
        with translation.override("en"), pytest.raises(DomainError) as caught:
            _import(secretary, content)
        assert "larger than 2 MB" in str(caught.value.message)
        assert Case.objects.count() == 0

    def test_too_many_rows_are_refused(self, tree, secretary, settings):
        settings.CASE_IMPORT_MAX_ROWS = 3
        rows = [_row(external_id=f"R{i}") for i in range(4)]
        with translation.override("en"), pytest.raises(DomainError) as caught:
            _import(secretary, _csv(rows))
        assert "more than 3 records" in str(caught.value.message)
        assert Case.objects.count() == 0
        assert _import(secretary, _csv(rows[:3])).created == 3

    def test_missing_columns_are_named(self, tree, secretary):
        header = [name for name in HEADER if name not in ("来电时间", "社区")]
        rows = [[v for v, n in zip(_row(), HEADER, strict=True) if n in header]]
        with translation.override("en"), pytest.raises(DomainError) as caught:
            _import(secretary, _csv(rows, header=header))
        message = str(caught.value.message)
        assert "来电时间 (submitted_at)" in message and "社区 (area)" in message

    def test_a_file_without_header_or_records_is_refused(self, tree, secretary):
        with translation.override("en"):
            with pytest.raises(DomainError, match="No header row"):
                _import(secretary, b"a,b,c\n1,2,3\n")
            with pytest.raises(DomainError, match="no records below its header"):
                _import(secretary, _csv([]))
            with pytest.raises(DomainError, match="appears twice"):
                _import(secretary, _csv([[*_row(), "x"]], header=[*HEADER, "title"]))


class TestRowReport:
    def test_every_kind_of_bad_row_is_reported_and_nothing_is_imported(self, tree, secretary):
        rows = [
            _row(external_id="R02"),  # row 2: fine
            _row(external_id="R03", title=""),
            _row(external_id="R04", submitted_at="2025-13-01 10:00"),
            _row(external_id="R05", submitted_at="2099-01-01 10:00"),
            _row(external_id="R06", category="no-such-category"),
            _row(external_id="R07", category="环境卫生"),  # a group
            _row(external_id="R08", area="不存在社区"),
            _row(external_id="R09", priority="很急"),
            _row(external_id="R10", anonymous="也许"),
            _row(external_id="R11", reporter_phone="call me"),
            _row(external_id="R12", title="长" * 101),
            ["", "", "", "", "", "", "", "", "", "", ""],  # row 13: blank, skipped
            _row(external_id="R14", description=""),
            _row(external_id="", submitted_at="yesterday"),  # two problems in one row
            _row(external_id="R16", submitted_at="2025-03-03"),  # a date without the time
        ]
        with translation.override("en"):
            result = _import(secretary, _csv(rows))
        assert not result.ok and result.created == 0 and result.rows == 14
        assert _problems(result) == {
            (3, "标题"),
            (4, "来电时间"),
            (5, "来电时间"),
            (6, "分类"),
            (7, "分类"),
            (8, "社区"),
            (9, "紧急程度"),
            (10, "匿名"),
            (11, "联系电话"),
            (12, "标题"),
            (14, "内容"),
            (15, "编号"),
            (15, "来电时间"),
            (16, "来电时间"),
        }
        assert result.rows_with_errors == 13
        messages = {(error.row, error.column): error.message for error in result.errors}
        assert messages[(3, "标题")] == "This field is required."
        assert messages[(5, "来电时间")] == "The time cannot lie in the future."
        assert "no-such-category" in messages[(6, "分类")]
        assert "group" in messages[(7, "分类")]
        assert "(you wrote 101)" in messages[(12, "标题")]
        assert Case.objects.count() == 0
        assert not AuditEntry.objects.filter(action__startswith="cases.").exists()

    def test_duplicate_numbers_within_the_file(self, tree, secretary):
        rows = [_row(external_id="A1"), _row(external_id="A2"), _row(external_id="A1")]
        with translation.override("en"):
            result = _import(secretary, _csv(rows))
        assert _problems(result) == {(4, "编号")}
        assert result.errors[0].message == "This number appears already in row 2."
        assert Case.objects.count() == 0

    def test_numbers_imported_before_are_refused(self, tree, secretary):
        assert _import(secretary, _csv([_row(external_id="A1")])).ok
        rows = [_row(external_id="A2"), _row(external_id="A1")]
        with translation.override("en"):
            result = _import(secretary, _csv(rows))
        assert _problems(result) == {(3, "编号")}
        assert "imported already" in result.errors[0].message
        assert list(Case.objects.values_list("external_id", flat=True)) == ["A1"]

    def test_the_same_number_from_another_channel_is_no_duplicate(self, tree, secretary, submit):
        submit(external_id="A1")
        assert _import(secretary, _csv([_row(external_id="A1")])).ok

    def test_a_number_imported_meanwhile_is_caught_under_the_lock(
        self, tree, secretary, monkeypatch
    ):
        """Another import committed the number after the checks: the write re-checks it."""
        assert _import(secretary, _csv([_row(external_id="A1")])).ok
        real = importing.load_lookups

        def stale(*args, **kwargs):
            lookups = real(*args, **kwargs)
            lookups.imported_ids.clear()
            return lookups

        monkeypatch.setattr(importing, "load_lookups", stale)
        result = _import(secretary, _csv([_row(external_id="A2"), _row(external_id="A1")]))
        assert _problems(result) == {(3, "编号")}
        assert Case.objects.count() == 1

    def test_a_refusal_half_way_rolls_everything_back(self, tree, secretary, monkeypatch):
        real = importing.case_submit
        calls = []

        def refuse_second(**kwargs):
            calls.append(kwargs["external_id"])
            if len(calls) == 2:
                raise DomainError("规则不允许", field="title")
            return real(**kwargs)

        monkeypatch.setattr(importing, "case_submit", refuse_second)
        rows = [_row(external_id=f"R{i}") for i in range(3)]
        result = _import(secretary, _csv(rows))
        assert [(e.row, e.column, e.message) for e in result.errors] == [(3, "标题", "规则不允许")]
        assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0
        assert not AuditEntry.objects.filter(action="cases.import.completed").exists()

    def test_areas_outside_the_importers_subtree_are_refused(self, tree, secretary):
        rows = [
            _row(external_id="A1", area="QH-SQ-QS"),  # another street's village, by code
            _row(external_id="A2", area="桂香社区"),  # the neighbouring community, by name
            _row(external_id="A3", area="QH-DH-LA-01"),  # own grid: fine
        ]
        with translation.override("en"):
            result = _import(secretary, _csv(rows))
        assert _problems(result) == {(2, "社区"), (3, "社区")}
        assert all("among the units you serve" in e.message for e in result.errors)
        assert Case.objects.count() == 0

    def test_a_street_is_not_an_area(self, tree, actors):
        supervisor = actors[Role.STREET_SUPERVISOR]
        with translation.override("en"):
            result = _import(supervisor, _csv([_row(area="QH-DH")]))
        assert result.errors[0].message == "QH-DH is not a community, village or grid."

    def test_an_ambiguous_unit_name_asks_for_the_code(self, tree, actors):
        make_unit(tree.community_a2, UnitKind.GRID, "柳岸第一网格", code="QH-DH-GX-01")
        supervisor = actors[Role.STREET_SUPERVISOR]
        with translation.override("en"):
            result = _import(supervisor, _csv([_row(area="柳岸第一网格")]))
        assert "give the unit's code" in result.errors[0].message
        assert _import(supervisor, _csv([_row(area="QH-DH-GX-01")])).ok

    def test_inactive_categories_are_refused(self, tree, secretary):
        Category.objects.filter(code="rubbish").update(is_active=False)
        with translation.override("en"):
            result = _import(secretary, _csv([_row()]))
        assert "no longer used" in result.errors[0].message


class TestImportedCases:
    def test_they_keep_the_original_time_and_deadlines_count_from_it(self, tree, secretary):
        rows = [
            _row(external_id="N1", submitted_at="2025-03-03 10:15"),
            _row(external_id="U1", submitted_at="2025/3/7 16:05:30", priority="紧急"),
        ]
        assert _import(secretary, _csv(rows)).ok
        category = Category.objects.get(code="rubbish")
        for external_id, moment, priority in (
            ("N1", datetime(2025, 3, 3, 10, 15, tzinfo=SHANGHAI), Priority.NORMAL),
            ("U1", datetime(2025, 3, 7, 16, 5, 30, tzinfo=SHANGHAI), Priority.URGENT),
        ):
            case = Case.objects.get(external_id=external_id)
            due = deadlines_for(category, priority, moment)
            assert case.submitted_at == moment
            assert (case.respond_by, case.resolve_by) == (due.respond_by, due.resolve_by)
            event = case.events.get(kind=EventKind.SUBMITTED)
            assert event.created_at == moment
        # Three working days from Monday 3 March 2025 end on Thursday at close of business.
        normal = Case.objects.get(external_id="N1")
        assert timezone.localtime(normal.resolve_by) == datetime(
            2025, 3, 6, 17, 30, tzinfo=SHANGHAI
        )

    def test_one_audit_entry_describes_the_import(self, tree, secretary):
        content = _csv([_row(external_id="A1"), _row(external_id="A2")])
        _import(secretary, content, name="C:\\exports\\hotline-0303.csv")
        entry = AuditEntry.objects.get(action="cases.import.completed")
        assert entry.target_type == "orgs.orgunit" and entry.target_id == str(tree.community_a1.pk)
        assert entry.actor_user == tree.people[Role.BRANCH_SECRETARY]
        assert entry.data == {
            "file_name": "hotline-0303.csv",
            "rows": 2,
            "sha256": hashlib.sha256(content).hexdigest(),
        }

    @pytest.mark.parametrize(
        "role", [r for r in Role.values if not role_has_capability(r, Capability.CASE_HANDLE)]
    )
    def test_roles_without_case_handling_may_not_import(self, tree, actors, role):
        with pytest.raises(Forbidden):
            _import(actors[role], _csv([_row()]))
        assert Case.objects.count() == 0

    def test_staff_cannot_import_for_a_unit_outside_their_own(self, tree, secretary):
        with pytest.raises(Forbidden):
            _import(secretary, _csv([_row(area="QH-SQ-QS")]), unit=tree.community_b1)

    def test_the_system_must_name_a_unit(self, tree):
        with pytest.raises(DomainError):
            _import(SYSTEM, _csv([_row()]))


class TestCommand:
    def _file(self, tmp_path, content: bytes, name: str = "hotline.csv"):
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    def test_imports_for_a_units_subtree_and_prints_the_codes(self, tree, tmp_path):
        path = self._file(tmp_path, _csv([_row(external_id="A1"), _row(external_id="A2")]))
        out, err = io.StringIO(), io.StringIO()
        with translation.override("en"):
            call_command("import_cases", path, "--unit", "QH-DH", stdout=out, stderr=err)
        codes = set(Case.objects.values_list("tracking_code", flat=True))
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("Imported 2 requests from hotline.csv")
        assert set(lines[1:]) == codes and len(codes) == 2
        assert Case.objects.filter(entered_by=None, channel=Channel.IMPORT).count() == 2
        entry = AuditEntry.objects.get(action="cases.import.completed")
        assert entry.target_id == str(tree.street_a.pk) and entry.actor_user is None

    def test_row_problems_are_printed_and_the_exit_status_is_one(self, tree, tmp_path):
        # 柳岸社区 lies under 东湖街道, not under 石泉镇.
        rows = [_row(external_id="A1"), _row(external_id="A1", title="")]
        path = self._file(tmp_path, _csv(rows))
        err = io.StringIO()
        with translation.override("en"), pytest.raises(CommandError) as caught:
            call_command("import_cases", path, "--unit", "QH-SQ", stdout=io.StringIO(), stderr=err)
        assert caught.value.returncode == 1
        assert "Nothing was imported: 4 problems in 2 of 2 record(s)." in str(caught.value)
        report = err.getvalue()
        assert "hotline.csv:2 [社区]" in report and "hotline.csv:3 [标题]" in report
        assert "hotline.csv:3 [编号] This number appears already in row 2." in report
        assert Case.objects.count() == 0

    def test_file_problems_and_unknown_units_fail(self, tree, tmp_path):
        png = self._file(tmp_path, _png(), "photo.csv")
        with pytest.raises(CommandError) as caught:
            call_command("import_cases", png, "--unit", "QH-DH", stderr=io.StringIO())
        assert caught.value.returncode == 1 and "photo.csv" in str(caught.value)
        with translation.override("en"):
            with pytest.raises(CommandError, match="No unit has the code"):
                call_command("import_cases", png, "--unit", "NOPE")
            with pytest.raises(CommandError, match="Cannot read"):
                call_command("import_cases", str(tmp_path / "missing.csv"), "--unit", "QH-DH")


def _signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _upload(content: bytes, name: str = "hotline.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


class TestImportPage:
    def test_the_page_offers_the_form_the_columns_and_an_empty_outcome(self, tree):
        page = _signed_in(tree, Role.BRANCH_SECRETARY).get(reverse("case_import"), **EN)
        html = page.content.decode()
        assert page.status_code == 200
        assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
        assert 'data-testid="import-empty"' in html and "来电时间" in html
        assert reverse("case_import_template") in html

    def test_the_template_imports_as_it_is(self, tree):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.get(reverse("case_import_template"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == HEADER and len(rows) == 2
        assert rows[1][6] == "QH-DH-LA"  # the first community among the secretary's units
        page = client.post(reverse("case_import"), {"file": _upload(response.content)}, **EN)
        assert 'data-testid="import-success"' in page.content.decode()
        assert Case.objects.get().external_id == rows[1][0]

    def test_a_bad_upload_shows_the_report_and_changes_nothing(self, tree):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        content = _csv([_row(external_id="A1"), _row(external_id="A2", area="泉水村")])
        response = client.post(reverse("case_import"), {"file": _upload(content)}, **EN)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="import-failed"' in html and "Nothing was imported." in html
        assert "1 problem in 1 of 2 records" in html
        assert '<caption id="import-report-caption">Problems found in hotline.csv</caption>' in html
        assert "<td>3</td><td>社区</td>" in html
        assert Case.objects.count() == 0
        assert not AuditEntry.objects.filter(action__startswith="cases.").exists()

    def test_a_good_upload_imports_and_lists_the_codes(self, tree):
        client = _signed_in(tree, Role.COMMUNITY_STAFF)
        content = _xlsx([_row(external_id="A1"), _row(external_id="A2")])
        response = client.post(
            reverse("case_import"), {"file": _upload(content, "records.xlsx")}, **EN
        )
        html = response.content.decode()
        assert "2 requests from records.xlsx have been imported." in html
        for code in Case.objects.values_list("tracking_code", flat=True):
            assert code in html

    def test_a_file_of_the_wrong_type_is_explained_on_the_field(self, tree):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.post(reverse("case_import"), {"file": _upload(_png())}, **EN)
        html = response.content.decode()
        assert response.status_code == 200
        assert "neither a CSV file nor an Excel workbook" in html and 'aria-invalid="true"' in html
        assert Case.objects.count() == 0

    def test_an_oversized_upload_is_refused_before_reading(self, tree, settings):
        settings.CASE_IMPORT_MAX_BYTES = 1024 * 1024
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        content = b"x" * (1024 * 1024 + 1)
        response = client.post(reverse("case_import"), {"file": _upload(content)}, **EN)
        assert "larger than 1 MB" in response.content.decode()

    def test_an_empty_post_asks_for_a_file(self, tree):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.post(reverse("case_import"), {}, **EN)
        assert (
            response.status_code == 200 and "This field is required." in response.content.decode()
        )

    @pytest.mark.parametrize("role", Role.values)
    def test_only_case_handlers_reach_the_page(self, tree, role):
        client = _signed_in(tree, role)
        allowed = role_has_capability(role, Capability.CASE_HANDLE)
        content = _csv([_row(external_id=f"P-{role}", area="QH-DH-LA-01")])
        for response in (
            client.get(reverse("case_import")),
            client.get(reverse("case_import_template")),
            client.post(reverse("case_import"), {"file": _upload(content)}),
        ):
            assert response.status_code == (200 if allowed else 403)
        assert Case.objects.count() == (1 if allowed else 0)

    def test_visitors_are_sent_to_sign_in(self, db):
        response = Client().get(reverse("case_import"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_people_without_a_role_are_refused(self, tree):
        client = Client()
        client.force_login(UserFactory(username="nobody"))
        assert client.get(reverse("case_import")).status_code == 403


def test_actor_for_grid_worker_imports_only_into_the_grid(tree):
    """A grid worker's subtree is the grid: the community itself is outside it."""
    worker = actor_for(tree.people[Role.GRID_WORKER])
    with translation.override("en"):
        result = _import(worker, _csv([_row(external_id="G1", area="QH-DH-LA")]))
    assert "among the units you serve" in result.errors[0].message
    assert _import(worker, _csv([_row(external_id="G2", area="QH-DH-LA-01")])).ok
