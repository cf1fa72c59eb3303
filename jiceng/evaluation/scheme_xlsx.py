"""An indicator scheme as a spreadsheet: export to XLSX, import (XLSX or CSV) as a new draft.

One sheet, one row per dimension or indicator, dimensions before their indicators. A row with
an empty dimension column is a dimension. Rule options are written for people: checklist items
one per line, other rules as `top=5`, `per_item=2`, `metric=on_time; target=0.95; floor=0.6`.

The import reads the file as the hotline import does (`cases.importing`: the type by content,
size limits, header found among the first rows, rows numbered as the spreadsheet shows them),
checks every row before writing anything, and then creates the draft in one transaction —
all or nothing, with a row-by-row report of the problems.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.importing import (
    HEADER_SEARCH_ROWS,
    XLSX_CONTENT_TYPE,
    YES_NO_WORDS,
    Column,
    NumberedRow,
    RowError,
    _normalise_header,
    _text,
    read_table,
)
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.permissions import require
from jiceng.evaluation.models import Scheme, ScoringRule
from jiceng.evaluation.scheme_services import (
    DimensionData,
    IndicatorData,
    clean_indicator,
    parse_rule_options,
    rule_options_text,
    scheme_create_from_tree,
    scheme_tree_data,
)
from jiceng.orgs.models import OrgUnit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["XLSX_CONTENT_TYPE", "SchemeImportResult", "scheme_export", "scheme_import"]

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_ERRORS = 500

COLUMNS: tuple[Column, ...] = (
    Column(
        "dimension",
        "所属维度",
        True,
        gettext_lazy("The code of the dimension the indicator belongs to; empty for a dimension."),
    ),
    Column("code", "编码", True, gettext_lazy("Letters, digits and hyphens, unique in the file.")),
    Column("name", "名称", True, gettext_lazy("At most 200 characters.")),
    Column("guidance", "说明", False, gettext_lazy("How to score it, at most 2,000 characters.")),
    Column(
        "weight",
        "权重",
        True,
        gettext_lazy(
            "Relative to the other dimensions, or to the other indicators of the dimension."
        ),
    ),
    Column("max_points", "满分", False, gettext_lazy("Indicators only: a number above 0.")),
    Column(
        "rule",
        "评分方式",
        False,
        gettext_lazy(
            "Indicators only: 清单, 分档, 扣分 or 客观指标 (checklist, scale, deduction, metric)."
        ),
    ),
    Column(
        "rule_options",
        "评分参数",
        False,
        gettext_lazy(
            "Checklist items one per line; top=5; per_item=2; "
            "metric=on_time; target=0.95; floor=0.6."
        ),
    ),
    Column("evidence_required", "需要佐证", False, gettext_lazy("是 or 否 (yes or no).")),
    Column(
        "scored_by_self",
        "自评",
        False,
        gettext_lazy("是 or 否: scored in the unit's self-assessment."),
    ),
    Column(
        "scored_by_superior",
        "组织考评",
        False,
        gettext_lazy("是 or 否: scored by the superior's raters."),
    ),
)
_FIELD_OF_NAME = {name: column.field for column in COLUMNS for name in column.names()}
_LABEL = {column.field: column.chinese for column in COLUMNS}

RULE_WORDS: dict[str, str] = {
    "清单": ScoringRule.CHECKLIST,
    "分档": ScoringRule.SCALE,
    "扣分": ScoringRule.DEDUCTION,
    "客观指标": ScoringRule.METRIC,
}
_RULE_OF_WORD = {
    **RULE_WORDS,
    **{str(rule): str(rule) for rule in ScoringRule.values},
}
_WORD_OF_RULE = {rule: word for word, rule in RULE_WORDS.items()}


# --- export ---------------------------------------------------------------------------------
def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export_rows(scheme: Scheme) -> list[list[Any]]:
    """The header and one row per dimension and indicator."""
    rows: list[list[Any]] = [[column.chinese for column in COLUMNS]]
    yes_no = {True: "是", False: "否"}
    for entry in scheme_tree_data(scheme):
        dim = entry.dimension
        rows.append(["", dim.code, dim.name, dim.guidance, _number(dim.weight)] + [""] * 6)
        for item in entry.indicators:
            rows.append(
                [
                    dim.code,
                    item.code,
                    item.name,
                    item.guidance,
                    _number(item.weight),
                    _number(item.max_points),
                    _WORD_OF_RULE.get(item.rule, item.rule),
                    rule_options_text(item.rule, item.rule_options),
                    yes_no[item.evidence_required],
                    yes_no[item.scored_by_self],
                    yes_no[item.scored_by_superior],
                ]
            )
    return rows


def scheme_export(scheme: Scheme) -> bytes:
    """The scheme as an XLSX workbook: a title row, the header, then the tree."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = scheme.family[:31]
    sheet.append([f"{scheme.name}（{scheme.family} v{scheme.version}）"])
    sheet["A1"].font = Font(bold=True, size=13)
    for row in export_rows(scheme):
        sheet.append(row)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_cells in sheet.iter_rows(min_row=3):
        for cell in row_cells:
            cell.alignment = wrap
            if cell.data_type == "f":  # text starting with "=" is data here, never a formula
                cell.data_type = "s"
    widths = (10, 18, 28, 40, 8, 8, 10, 40, 10, 8, 10)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- import ---------------------------------------------------------------------------------
@dataclass
class SchemeImportResult:
    file_name: str
    rows: int = 0
    scheme: Scheme | None = None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scheme is not None and not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


@dataclass(frozen=True)
class _Header:
    row: int
    positions: Mapping[str, int]

    def value(self, cells: Sequence[Any], field_name: str) -> str:
        index = self.positions.get(field_name)
        if index is None or index >= len(cells):
            return ""
        return _text(cells[index])


def _find_header(rows: Any) -> _Header:
    for _index, (number, cells) in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            field_name = _FIELD_OF_NAME.get(_normalise_header(_text(cell)))
            if field_name is not None:
                positions.setdefault(field_name, index)
        if len(positions) < 2:
            continue
        missing = [c for c in COLUMNS if c.required and c.field not in positions]
        if missing:
            raise DomainError(
                _("The file lacks these columns: %(columns)s.")
                % {"columns": "、".join(f"{c.chinese} ({c.field})" for c in missing)},
                field="file",
            )
        return _Header(row=number, positions=positions)
    raise DomainError(
        _(
            "No header row naming the columns was found. Export a scheme to see the columns: "
            "所属维度, 编码, 名称, 权重 …"
        ),
        field="file",
    )


def read_scheme_rows(content: bytes) -> tuple[_Header, list[NumberedRow]]:
    if len(content) > MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    data: list[NumberedRow] = []
    with contextlib.closing(read_table(content)) as rows:
        header = _find_header(rows)
        for row in rows:
            data.append(row)
            if len(data) > MAX_ROWS:
                raise DomainError(
                    _("The file has more than %(limit)d rows.") % {"limit": MAX_ROWS},
                    field="file",
                )
    if not data:
        raise DomainError(_("The file has no rows below its header row."), field="file")
    return header, data


def _flag(value: str, default: bool) -> bool | None:
    key = value.strip().lower()
    if not key:
        return default
    return YES_NO_WORDS.get(key)


# Which column a problem found by the services' checks belongs to.
_COLUMN_OF_FIELD = {
    "code": "code",
    "name": "name",
    "guidance": "guidance",
    "weight": "weight",
    "max_points": "max_points",
    "rule": "rule",
    "rule_options": "rule_options",
    "scored_by_self": "scored_by_self",
    "scored_by_superior": "scored_by_superior",
}


class _TreeBuilder:
    """Checks one row after another, building the tree and remembering the codes seen."""

    def __init__(self, header: _Header) -> None:
        self.header = header
        self.dimensions: dict[str, DimensionData] = {}
        self.indicator_rows: dict[str, int] = {}
        self.seen: dict[str, int] = {}

    def check(self, number: int, cells: Sequence[Any]) -> list[RowError]:
        errors: list[RowError] = []

        def fail(column: str, message: StrOrPromise) -> None:
            errors.append(RowError(number, _LABEL.get(column, ""), str(message)))

        value = self.header.value
        dim_code = value(cells, "dimension")
        code = value(cells, "code")
        rule_word = value(cells, "rule")
        rule = _RULE_OF_WORD.get(rule_word.strip().lower()) if rule_word else ""
        if rule is None:
            fail("rule", _("Write 清单, 分档, 扣分 or 客观指标."))
        flags: dict[str, bool] = {}
        for name, default in (
            ("evidence_required", False),
            ("scored_by_self", True),
            ("scored_by_superior", True),
        ):
            flag = _flag(value(cells, name), default)
            if flag is None:
                fail(name, _("Write 是 or 否 (yes or no)."))
            flags[name] = bool(flag)
        if code in self.seen:
            fail("code", _("This code appears already in row %(row)d.") % {"row": self.seen[code]})
        parent: DimensionData | None = None
        if dim_code:
            parent = self.dimensions.get(dim_code)
            if parent is None and dim_code in self.indicator_rows:
                fail(
                    "dimension",
                    _("%(code)s is an indicator, not a dimension.") % {"code": dim_code},
                )
            elif parent is None:
                fail(
                    "dimension",
                    _("No dimension with the code %(code)s comes before this row.")
                    % {"code": dim_code},
                )
        cleaned: IndicatorData | None = None
        if not errors:
            # Text here; clean_indicator turns it into checked decimals.
            weight: Any = value(cells, "weight")
            max_points: Any = value(cells, "max_points") or "10"
            try:
                cleaned = clean_indicator(
                    IndicatorData(
                        code=code,
                        name=value(cells, "name"),
                        guidance=value(cells, "guidance"),
                        weight=weight,
                        max_points=max_points,
                        rule=rule or "",
                        rule_options=parse_rule_options(rule or "", value(cells, "rule_options")),
                        **flags,
                    ),
                    dimension=not dim_code,
                )
            except DomainError as error:
                fail(_COLUMN_OF_FIELD.get(error.field or "", ""), error.message)
        if code:
            self.seen.setdefault(code, number)
            if dim_code:
                self.indicator_rows.setdefault(code, number)
            else:
                self.dimensions.setdefault(
                    code, DimensionData(cleaned or IndicatorData(code=code, name=""))
                )
        if cleaned is not None and parent is not None:
            parent.indicators.append(cleaned)
        return errors


def validate_scheme_rows(
    header: _Header, rows: Sequence[NumberedRow]
) -> tuple[list[DimensionData], list[RowError]]:
    """The tree of a file's rows, and the problems of every row (then the tree is incomplete)."""
    builder = _TreeBuilder(header)
    errors: list[RowError] = []
    for number, cells in rows:
        errors.extend(builder.check(number, cells))
    return list(builder.dimensions.values()), errors


def scheme_import(
    *,
    actor: Actor,
    owner: OrgUnit,
    content: bytes,
    file_name: str,
    family: str,
    name: str = "",
    unit_class: str = "",
    description: str = "",
) -> SchemeImportResult:
    """A new draft from a file: the next version of `family` if it exists, else its version 1.

    File-level problems raise DomainError on `file`; row problems come back in the result's
    `errors`, and then nothing was created. For an existing family, an empty name or unit class
    is taken from its latest version.
    """
    require(actor, "edit", Scheme)
    clean_name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    latest = Scheme.objects.filter(family=family.strip()).order_by("-version").first()
    if latest is not None:
        name = name or latest.name
        unit_class = unit_class or latest.unit_class
        description = description or latest.description
    header, rows = read_scheme_rows(content)
    dimensions, errors = validate_scheme_rows(header, rows)
    if errors:
        return SchemeImportResult(file_name=clean_name, rows=len(rows), errors=errors[:MAX_ERRORS])
    scheme = scheme_create_from_tree(
        actor=actor,
        owner=owner,
        family=family,
        name=name,
        unit_class=unit_class,
        description=description,
        dimensions=dimensions,
        action="evaluation.scheme.imported",
        data={"file_name": clean_name},
    )
    return SchemeImportResult(file_name=clean_name, rows=len(rows), scheme=scheme)
