"""Export of the care list as CSV or XLSX, with phone numbers and ID fragments masked.

Exports leave the platform (e-mail, USB sticks), so they carry less than the pages: a phone
number keeps its first 3 and last 4 digits (138****5678), and the ID fragment is never written
(****). Every export is audit-logged with its format, row count and filters.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.choices import choice_label
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.privacy import mask_phone
from jiceng.support.care_selectors import CareFilter, care_targets_listed
from jiceng.support.care_services import care_today
from jiceng.support.models.care import CareCategory, CareTarget, VisitFrequency
from jiceng.support.permissions_care import may

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 50_000
FORMATS = ("csv", "xlsx")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS: tuple[tuple[StrOrPromise, int], ...] = (
    (gettext_lazy("Unit"), 16),
    (gettext_lazy("Category"), 16),
    (gettext_lazy("Name"), 12),
    (gettext_lazy("Address"), 30),
    (gettext_lazy("Phone"), 14),
    (gettext_lazy("ID card number, last 4 characters"), 10),
    (gettext_lazy("Visit frequency"), 12),
    (gettext_lazy("Last visit"), 12),
    (gettext_lazy("Next visit due"), 12),
    (gettext_lazy("Overdue"), 8),
    (gettext_lazy("Members responsible"), 24),
)


def mask_id_fragment(fragment: str) -> str:
    """An ID fragment is never exported: present or not, that is all an export says."""
    return "****" if fragment else ""


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def export_header() -> list[str]:
    return [str(label) for label, _width in COLUMNS]


def export_rows(targets: list[CareTarget], today: Any) -> list[list[str]]:
    yes, no = _("Yes"), _("No")
    rows = []
    for target in targets:
        if target.frequency == VisitFrequency.EVERY_N_DAYS:
            frequency = _("Every %(days)d days") % {"days": target.interval_days}
        else:
            frequency = choice_label(VisitFrequency, target.frequency)
        people = ", ".join(m.user.display_name for m in target.responsible.all())
        rows.append(
            [
                target.unit.name,
                choice_label(CareCategory, target.category),
                _safe(target.name),
                _safe(target.address),
                mask_phone(target.phone),
                mask_id_fragment(target.id_last4),
                frequency,
                target.last_visit_on.isoformat() if target.last_visit_on else "",
                target.next_due_on.isoformat(),
                yes if target.is_active and target.next_due_on < today else no,
                _safe(people),
            ]
        )
    return rows


def write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def write_xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Care list")[:31])
    for index, (_label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, label)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        line = []
        for value in row:
            cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # text, never a formula
            line.append(cell)
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str
    rows: int


@transaction.atomic
def care_list_export(*, actor: Actor, fmt: str, filters: CareFilter) -> ExportFile:
    """The care list the actor sees, filtered, as a masked file; audit-logged."""
    if not may(actor, "export") or actor.unit is None:
        raise Forbidden()
    if fmt not in FORMATS:
        raise DomainError(_("Choose CSV or XLSX."), field="format")
    today = care_today()
    queryset = care_targets_listed(actor, filters, today=today)
    if queryset.order_by().values("pk")[: MAX_ROWS + 1].count() > MAX_ROWS:
        raise DomainError(
            _("More than %(limit)d households match: narrow the filters.") % {"limit": MAX_ROWS}
        )
    targets = list(queryset.prefetch_related("responsible__user"))
    header, rows = export_header(), export_rows(targets, today)
    content = write_xlsx(header, rows) if fmt == "xlsx" else write_csv(header, rows)
    audit_log(
        actor=actor,
        action="support.care.exported",
        target=actor.unit,
        data={
            "format": fmt,
            "rows": len(rows),
            "filters": {
                "category": filters.category,
                "overdue": filters.overdue,
                "closed": filters.closed,
                "query": bool(filters.query),
            },
        },
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportFile(
        content=content,
        content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE,
        filename=f"care-list-{stamp}.{fmt}",
        rows=len(rows),
    )
