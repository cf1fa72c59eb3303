"""Export of the staff's case list as CSV (streamed) or XLSX, in constant memory.

`export_rows(queryset)` yields one list of plain values per case: text, whole numbers, local
(naive) datetimes or None. The writers turn them into a file:

- CSV is streamed in chunks, UTF-8 with a BOM so that Excel shows Chinese text correctly, with no
  limit on the number of rows.
- XLSX is written by openpyxl's write-only workbook into a temporary file (a zip archive cannot
  be streamed before it is complete). It is refused, before any work, when more than
  `CASE_EXPORT_MAX_XLSX_ROWS` (default 100,000) requests match: a truncated spreadsheet would be
  summed up as if it were complete. The message asks for narrower filters or CSV.

The latest satisfaction rating comes from a subquery, so an export costs the same few queries
for ten rows or a million.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Case, Channel, Feedback, Priority, Satisfaction, Status
from jiceng.core.choices import choice_label
from jiceng.core.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CHUNK_SIZE = 2000
CSV_ROWS_PER_CHUNK = 200
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cells starting with these are run as formulas by spreadsheet programs (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Value = str | int | datetime | None

# (header, column width in the spreadsheet)
COLUMNS: tuple[tuple[StrOrPromise, int], ...] = (
    (gettext_lazy("Tracking code"), 16),
    (gettext_lazy("Submitted at"), 17),
    (gettext_lazy("Category group"), 14),
    (gettext_lazy("Category"), 16),
    (gettext_lazy("Title"), 30),
    (gettext_lazy("Address"), 30),
    (gettext_lazy("Community"), 16),
    (gettext_lazy("Channel"), 12),
    (gettext_lazy("Priority"), 8),
    (gettext_lazy("Status"), 14),
    (gettext_lazy("Held by"), 16),
    (gettext_lazy("Respond by"), 17),
    (gettext_lazy("Resolve by"), 17),
    (gettext_lazy("Accepted at"), 17),
    (gettext_lazy("Resolved at"), 17),
    (gettext_lazy("Closed at"), 17),
    (gettext_lazy("Overdue"), 8),
    (gettext_lazy("Transfers"), 8),
    (gettext_lazy("Reopened"), 8),
    (gettext_lazy("Escalations"), 8),
    (gettext_lazy("Latest satisfaction"), 12),
)


def max_xlsx_rows() -> int:
    return int(settings.CASE_EXPORT_MAX_XLSX_ROWS)


def export_header() -> list[str]:
    """The column headers, in the active language."""
    return [str(label) for label, _width in COLUMNS]


def export_queryset(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The cases with everything a row needs joined or annotated: no query per row."""
    latest = (
        Feedback.objects.filter(case=OuterRef("pk"))
        .order_by("-round", "-created_at", "-pk")
        .values("satisfaction")[:1]
    )
    return queryset.select_related("category__parent", "area", "current_unit").annotate(
        latest_satisfaction=Subquery(latest)
    )


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def export_rows(queryset: QuerySet[Case], *, now: datetime | None = None) -> Iterator[list[Value]]:
    """One row per case, in the order of `queryset`; labels in the active language."""
    moment = now or timezone.now()
    yes, no = _("Yes"), _("No")
    satisfaction_labels = {value: str(label) for value, label in Satisfaction.choices}
    for case in export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE):
        category = case.category
        rating = getattr(case, "latest_satisfaction", None)
        yield [
            case.tracking_code,
            _local(case.submitted_at),
            category.parent.display_name if category.parent is not None else "",
            category.display_name,
            case.title,
            case.address,
            case.area.name,
            choice_label(Channel, case.channel),
            choice_label(Priority, case.priority),
            choice_label(Status, case.status),
            case.current_unit.name,
            _local(case.respond_by),
            _local(case.resolve_by),
            _local(case.accepted_at),
            _local(case.resolved_at),
            _local(case.closed_at),
            yes if case.is_overdue(moment) else no,
            case.transfer_count,
            case.reopen_count,
            case.escalation_count,
            satisfaction_labels.get(rating, "") if rating is not None else "",
        ]


# --- CSV ------------------------------------------------------------------------------------
class _Echo:
    """A file-like object whose write() hands back what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(queryset: QuerySet[Case], *, now: datetime | None = None) -> Iterator[bytes]:
    """The CSV file in pieces, for a StreamingHttpResponse; starts with a UTF-8 BOM."""
    # Captured now: the response is iterated after the view has returned.
    language = translation.get_language()
    return _csv_chunks(queryset, now or timezone.now(), language)


def _csv_chunks(queryset: QuerySet[Case], now: datetime, language: str | None) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    with translation.override(language):
        yield ("\ufeff" + writer.writerow(export_header())).encode()
        lines: list[str] = []
        for row in export_rows(queryset, now=now):
            lines.append(writer.writerow([_csv_cell(value) for value in row]))
            if len(lines) >= CSV_ROWS_PER_CHUNK:
                yield "".join(lines).encode()
                lines = []
        if lines:
            yield "".join(lines).encode()


# --- XLSX -----------------------------------------------------------------------------------
def check_xlsx_size(queryset: QuerySet[Case]) -> None:
    """Refuse, with DomainError, when more cases match than a spreadsheet export allows."""
    limit = max_xlsx_rows()
    if queryset.order_by().values("pk")[: limit + 1].count() > limit:
        raise DomainError(
            _(
                "More than %(limit)d requests match: too many for a spreadsheet. Narrow the "
                "filters, or export CSV, which has no limit."
            )
            % {"limit": limit},
            status=400,
        )


def _xlsx_value(sheet: Any, value: Value) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    text: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith("="):  # openpyxl would store it as a formula
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text


def write_xlsx(queryset: QuerySet[Case], target: IO[bytes], *, now: datetime | None = None) -> int:
    """Write the cases as a workbook to `target`; the number of rows written.

    Raises DomainError, before writing anything, when more cases match than allowed.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    check_xlsx_size(queryset)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Requests")[:31])
    for index, (_label, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for label in export_header():
        cell = WriteOnlyCell(sheet, label)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    written = 0
    for row in export_rows(queryset, now=now):
        sheet.append([_xlsx_value(sheet, value) for value in row])
        written += 1
    workbook.save(target)
    return written


def xlsx_file(queryset: QuerySet[Case], *, now: datetime | None = None) -> IO[bytes]:
    """The workbook in a temporary file, rewound, for a FileResponse (which closes it)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    try:
        write_xlsx(queryset, handle, now=now)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle
