"""Schemes as spreadsheets: export, import all or nothing with a row-by-row report."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation import scheme_services as services
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus, UnitClass
from jiceng.evaluation.scheme_xlsx import export_rows, scheme_export, scheme_import
from jiceng.evaluation.snapshot import scheme_snapshot
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_scheme
from tests.factories import actor_for

HEADER = [
    "所属维度",
    "编码",
    "名称",
    "说明",
    "权重",
    "满分",
    "评分方式",
    "评分参数",
    "需要佐证",
    "自评",
    "组织考评",
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _workbook(rows, *, title=None):
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(admin, tree, content, family="imported", **kwargs):
    kwargs.setdefault("name", "导入的指标体系")
    kwargs.setdefault("unit_class", UnitClass.COMMUNITY)
    return scheme_import(
        actor=admin,
        owner=tree.district,
        content=content,
        file_name="scheme.xlsx",
        family=family,
        **kwargs,
    )


def _tree_of(scheme):
    return scheme_snapshot(scheme)["dimensions"]


GOOD_ROWS = [
    ["", "d1", "改进服务作风", "作风说明", 60, None, None, None, None, None, None],
    ["d1", "list", "值班制度", "", 50, 10, "清单", "公示值班表\n按时开门", "是", "是", "是"],
    [
        "d1",
        "rate",
        "按期办结率",
        "",
        50,
        10,
        "客观指标",
        "metric=on_time; target=0.95; floor=0.6",
        "否",
        "否",
        "否",
    ],
    ["", "d2", "群众满意", "", 40, None, None, None, None, None, None],
    ["d2", "visits", "入户走访", "", 1, 5, "分档", "top=5", "否", "是", "否"],
    ["d2", "cuts", "投诉扣分", "", 1, 10, "扣分", "per_item=2", "否", "否", "是"],
]


class TestExport:
    def test_one_row_per_dimension_and_indicator_in_human_form(self, tree):
        scheme = make_scheme(tree.district)
        rows = export_rows(scheme)
        assert rows[0] == HEADER
        assert [row[:2] for row in rows[1:]] == [
            ["", "service"],
            ["service", "duty-roster"],
            ["service", "visits"],
            ["", "outcome"],
            ["outcome", "on-time"],
            ["outcome", "complaints"],
        ]
        checklist, scale, metric = rows[2], rows[3], rows[5]
        assert checklist[6:] == ["清单", "公示值班表\n按时开门\n登记来访", "是", "是", "是"]
        assert scale[7] == "top=5"
        assert metric[6:8] == ["客观指标", "metric=on_time; target=0.95; floor=0.6"]

    def test_workbook_has_title_and_header(self, tree):
        scheme = make_scheme(tree.district)
        sheet = load_workbook(io.BytesIO(scheme_export(scheme))).active
        assert scheme.name in sheet["A1"].value
        assert [cell.value for cell in sheet[2]] == HEADER
        assert sheet.max_row == 2 + 6

    def test_text_that_looks_like_a_formula_stays_text(self, tree, admin):
        scheme = make_scheme(tree.district, published=False)
        Indicator.objects.filter(scheme=scheme, code="visits").update(name="=1+1")
        sheet = load_workbook(io.BytesIO(scheme_export(scheme))).active
        assert sheet["C5"].value == "=1+1" and sheet["C5"].data_type == "s"


class TestRoundTrip:
    def test_export_then_import_gives_an_identical_tree(self, tree, admin):
        services.scheme_install_defaults(actor=admin, owner=tree.district)
        for source in Scheme.objects.all():
            result = _import(admin, tree, scheme_export(source), family=f"{source.family}-copy")
            assert result.ok, result.errors
            assert _tree_of(result.scheme) == _tree_of(source)

    def test_import_into_an_existing_family_makes_the_next_version(self, tree, admin):
        source = make_scheme(tree.district)
        result = _import(admin, tree, scheme_export(source), family=source.family, name="")
        scheme = result.scheme
        assert (scheme.version, scheme.status, scheme.based_on) == (2, SchemeStatus.DRAFT, source)
        assert scheme.name == source.name and scheme.unit_class == source.unit_class
        entry = AuditEntry.objects.get(action="evaluation.scheme.imported")
        assert entry.data["file_name"] == "scheme.xlsx" and entry.data["rows"] == 6

    def test_csv_is_read_too(self, tree, admin):
        content = "\n".join(
            [",".join(HEADER), ",d1,维度,,1,,,,,,", "d1,s1,指标,,1,10,分档,top=3,否,是,是"]
        ).encode()
        result = _import(admin, tree, content)
        assert result.ok
        assert Indicator.objects.get(scheme=result.scheme, code="s1").rule_options == {"top": 3}


class TestImportErrors:
    def test_good_file_imports(self, tree, admin):
        result = _import(admin, tree, _workbook(GOOD_ROWS, title="标题行"))
        assert result.ok
        tree_ = _tree_of(result.scheme)
        assert [d["code"] for d in tree_] == ["d1", "d2"]
        assert tree_[0]["indicators"][1]["rule_options"] == {
            "metric": "on_time",
            "target": 0.95,
            "floor": 0.6,
        }

    def test_every_bad_row_is_reported_and_nothing_is_created(self, tree, admin):
        rows = [
            *GOOD_ROWS,
            ["d9", "orphan", "无维度", "", 1, 10, "分档", "top=5", "是", "是", "是"],
            ["d1", "list", "重复编码", "", 1, 10, "分档", "top=5", "是", "是", "是"],
            ["d1", "badrule", "规则", "", 1, 10, "打分", "", "是", "是", "是"],
            ["d1", "badtop", "分档", "", 1, 10, "分档", "top=many", "是", "是", "是"],
            ["d1", "badflag", "标记", "", 1, 10, "分档", "top=5", "也许", "是", "是"],
            ["d1", "badweight", "权重", "", "很多", 10, "分档", "top=5", "否", "是", "是"],
            ["list", "under", "挂在指标下", "", 1, 10, "分档", "top=5", "否", "是", "是"],
            ["", "dimrule", "带规则的维度", "", 1, None, "清单", "a", None, None, None],
            [
                "d1",
                "metric",
                "指标",
                "",
                1,
                10,
                "客观指标",
                "metric=speed; target=1; floor=0",
                "否",
                "否",
                "否",
            ],
        ]
        before = (Scheme.objects.count(), Indicator.objects.count(), AuditEntry.objects.count())
        result = _import(admin, tree, _workbook(rows))
        assert not result.ok and result.scheme is None
        report = {(e.row, e.column): e.message for e in result.errors}
        # Row 1 is the header, so the first data row is 2 and the bad rows start at 8.
        assert "No dimension with the code d9" in report[(8, "所属维度")]
        assert "appears already in row 3" in report[(9, "编码")]
        assert "清单" in report[(10, "评分方式")]
        assert "whole number" in report[(11, "评分参数")]
        assert "是 or 否" in report[(12, "需要佐证")]
        assert "Enter a number" in report[(13, "权重")]
        assert "is an indicator, not a dimension" in report[(14, "所属维度")]
        assert "no scoring rule" in report[(15, "评分方式")]
        assert "on_time" in report[(16, "评分参数")]
        assert result.rows_with_errors == 9 and result.rows == len(rows)
        after = (Scheme.objects.count(), Indicator.objects.count(), AuditEntry.objects.count())
        assert after == before

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"\x89PNG\r\n\x1a\n\x00\x00", "neither a CSV file nor an Excel workbook"),
            (b"PK\x03\x04 not really a zip", "neither a CSV file nor an Excel workbook"),
            ("编码,名称\nd1,维度\n".encode(), "lacks these columns"),
            (b"a,b,c\n1,2,3\n", "No header row"),
            (",".join(HEADER).encode(), "no rows below its header"),
        ],
    )
    def test_unreadable_files_are_refused(self, tree, admin, content, message):
        with pytest.raises(DomainError, match=message) as caught:
            _import(admin, tree, content)
        assert caught.value.field == "file"
        assert not Scheme.objects.exists()

    def test_family_rules_apply(self, tree, admin):
        source = make_scheme(tree.district)
        services.scheme_new_version(actor=admin, scheme=source)
        with pytest.raises(DomainError, match="already has a draft"):
            _import(admin, tree, scheme_export(source), family=source.family, name="")
        with pytest.raises(DomainError, match="another unit class"):
            _import(
                admin,
                tree,
                scheme_export(source),
                family=source.family,
                unit_class=UnitClass.STREET,
            )
        assert Scheme.objects.count() == 2

    def test_only_district_admins_import(self, tree):
        actor = actor_for(tree.people[Role.STREET_SUPERVISOR])
        with pytest.raises(Forbidden):
            _import(actor, tree, _workbook(GOOD_ROWS))
