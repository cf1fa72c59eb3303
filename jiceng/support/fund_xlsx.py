"""The fund ledger and the staff roster as Excel workbooks (openpyxl, write-only)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from jiceng.orgs.models import OrgUnit
from jiceng.support.ledger import Figures
from jiceng.support.models import FundEntry, StaffMember

# Spreadsheet programs run cells starting with these as formulas (CSV/XLSX injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet: Any, value: Any, *, bold: bool = False, money: bool = False) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(_FORMULA_STARTS):
            value = "'" + value
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    if money:
        cell.number_format = "#,##0.00"
    return cell


def _row(sheet: Any, values: Iterable[Any], **style: bool) -> list[Any]:
    return [_cell(sheet, value, **style) for value in values]


def ledger_workbook(
    *, unit: OrgUnit, year: int, figures: Figures, entries: Iterable[FundEntry]
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ledger")[:31])
    sheet.freeze_panes = "A4"
    sheet.append(_row(sheet, [unit.name, unit.code, str(year)], bold=True))
    rate = figures.execution_rate
    sheet.append(
        _row(
            sheet,
            [
                _("Allocated"),
                figures.allocated,
                _("Spent"),
                figures.spent,
                _("Awaiting approval"),
                figures.pending,
                _("Balance"),
                figures.balance,
                _("Execution rate"),
                f"{rate * 100:.2f}%" if rate is not None else "—",
            ],
        )
    )
    sheet.append(
        _row(
            sheet,
            [
                _("No."),
                _("Date"),
                _("Kind"),
                _("Source or category"),
                _("Amount (yuan)"),
                _("Effect on the balance"),
                _("Status"),
                _("Payee"),
                _("Purpose or note"),
                _("Reverses entry"),
                _("Reason for the reversal"),
                _("Recorded by"),
                _("Recorded at"),
                _("Decided by"),
                _("Decision note"),
            ],
            bold=True,
        )
    )
    for entry in entries:
        effect = entry.signed_amount if entry.counts else 0
        sheet.append(
            [
                _cell(sheet, entry.pk),
                _cell(sheet, entry.entry_date),
                _cell(sheet, str(entry.get_kind_display())),
                _cell(
                    sheet,
                    str(
                        entry.get_source_display() if entry.source else entry.get_category_display()
                    )
                    if (entry.source or entry.category)
                    else "",
                ),
                _cell(sheet, entry.amount, money=True),
                _cell(sheet, effect, money=True),
                _cell(sheet, str(entry.get_status_display())),
                _cell(sheet, entry.payee),
                _cell(sheet, entry.purpose),
                _cell(sheet, entry.reverses_id or ""),
                _cell(sheet, entry.reason),
                _cell(sheet, str(entry.recorded_by) if entry.recorded_by else ""),
                _cell(sheet, timezone.localtime(entry.recorded_at).strftime("%Y-%m-%d %H:%M")),
                _cell(sheet, str(entry.decided_by) if entry.decided_by else ""),
                _cell(sheet, entry.decision_note),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def roster_workbook(
    *, unit: OrgUnit, staff: Iterable[StaffMember], phone_of: Callable[[StaffMember], str]
) -> bytes:
    """The roster; `phone_of` gives each number as the reader may see it (masked outside)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Staff roster")[:31])
    sheet.append(_row(sheet, [unit.name, unit.code], bold=True))
    sheet.append(
        _row(
            sheet,
            [
                _("Name"),
                _("Position"),
                _("Employment"),
                _("Contact phone"),
                _("Joined on"),
                _("Left on"),
                _("Training hours"),
            ],
            bold=True,
        )
    )
    for member in staff:
        sheet.append(
            _row(
                sheet,
                [
                    member.name,
                    member.position,
                    str(member.get_employment_display()),
                    phone_of(member),
                    member.joined_on,
                    member.left_on,
                    getattr(member, "training_hours", None) or 0,
                ],
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
