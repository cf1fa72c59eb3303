"""Bulk import of hotline records (CSV or XLSX), all or nothing.

Three steps, each usable on its own:

1. `read_table(content)` recognises the file by its content (an XLSX workbook is a zip file;
   anything else must be text in UTF-8, with or without BOM, or GB18030) and yields its
   non-blank rows with the row numbers a spreadsheet shows.
2. `validate_rows(…)` checks every record against lookups loaded once for the whole file and
   collects a row-by-row report; it does not touch the database.
3. `cases_import(…)` is the service: permission, limits, the checks above, then every record in
   one transaction through `case_submit`, replayed at its original time, and one audit entry.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Case, Category, Channel, Priority
from jiceng.cases.services import RESIDENT_AREA_KINDS, case_submit
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Limits; a deployment may change them in its settings.
# An XLSX file is compressed; refuse workbooks that unpack to more than this many times the limit.
MAX_UNPACK_RATIO = 20
# Columns further right than this are not read (hotline exports carry extra columns; we need 11).
MAX_COLUMNS = 50
# The header row is looked for among the first rows, below any title rows of an export.
HEADER_SEARCH_ROWS = 10
# Submission times may be this much ahead of the server's clock.
CLOCK_SKEW = timedelta(minutes=5)
# Lookups are made in chunks of this many values (SQLite allows at most 999 parameters).
LOOKUP_CHUNK = 500
# Serialises imports on PostgreSQL, so two imports cannot both add the same hotline number.
_IMPORT_LOCK_ID = 0x4A494349  # "JICI"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Excel format (.xls)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_bytes() -> int:
    return int(settings.CASE_IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.CASE_IMPORT_MAX_ROWS)


# --- columns --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of the file: its field, its Chinese header, and other names accepted."""

    field: str
    chinese: str
    required: bool
    description: StrOrPromise
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {
            _normalise_header(name)
            for name in (self.chinese, self.field, self.field.replace("_", " "), *self.aliases)
        }


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "编号",
        True,
        gettext_lazy("The hotline's number of the record; each number is imported once."),
        ("工单编号", "external id"),
    ),
    Column(
        "submitted_at",
        "来电时间",
        True,
        gettext_lazy(
            "When the resident called, Beijing time: 2025-03-01 09:30 or 2025/3/1 9:30:00."
        ),
        ("submitted at", "时间"),
    ),
    Column(
        "category",
        "分类",
        True,
        gettext_lazy("The code or the Chinese name of a category (not of a group)."),
    ),
    Column("title", "标题", True, gettext_lazy("At most 100 characters.")),
    Column(
        "description",
        "内容",
        True,
        gettext_lazy("What the resident asked for, at most 4,000 characters."),
        ("诉求内容",),
    ),
    Column("address", "地址", False, gettext_lazy("Where the problem is, at most 200 characters.")),
    Column(
        "area",
        "社区",
        True,
        gettext_lazy(
            "The code or exact name of a community, village or grid among the units you serve."
        ),
        ("community",),
    ),
    Column(
        "priority",
        "紧急程度",
        False,
        gettext_lazy("普通 or 紧急 (normal or urgent); empty is normal."),
    ),
    Column(
        "reporter_name", "联系人", False, gettext_lazy("At most 50 characters."), ("reporter name",)
    ),
    Column(
        "reporter_phone",
        "联系电话",
        False,
        gettext_lazy("Digits, spaces and + - ( ), at most 20 characters."),
        ("reporter phone",),
    ),
    Column("anonymous", "匿名", False, gettext_lazy("是 or 否 (yes or no); empty is no.")),
)
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
# case_submit's field names for the columns whose field has another name here.
_SERVICE_FIELDS = {"is_anonymous": "anonymous"}


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "")
    return re.sub(r"[\s*]+", " ", text).strip(" *").lower().replace(" ", "_")


# --- reading the file -----------------------------------------------------------------------
NumberedRow = tuple[int, list[Any]]


def _not_readable() -> DomainError:
    return DomainError(
        _(
            "This file is neither a CSV file nor an Excel workbook (.xlsx). Save it in one of "
            "these formats and upload it again."
        ),
        field="file",
    )


def read_table(content: bytes) -> Generator[NumberedRow, None, None]:
    """The non-blank rows of the file, each with the row number a spreadsheet shows for it.

    The type is recognised from the content, never from the file name.
    """
    if content.startswith(ZIP_MAGIC):
        return _xlsx_rows(content)
    if content.startswith(OLE2_MAGIC):
        raise DomainError(
            _("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."),
            field="file",
        )
    return _csv_rows(decode_text(content))


def decode_text(content: bytes) -> str:
    """A CSV file's text: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030."""
    try:
        if content.startswith(codecs.BOM_UTF8):
            text = content[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = content.decode("utf-16")
        elif b"\x00" in content:  # text files never contain NUL bytes; images and archives do
            raise _not_readable()
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise DomainError(
            _(
                "The text of this file is neither UTF-8 nor GB18030. Save it as CSV in UTF-8 and "
                "upload it again."
            ),
            field="file",
        ) from None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise _not_readable()
    return text


def _csv_rows(text: str) -> Generator[NumberedRow, None, None]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                yield number, list(cells[:MAX_COLUMNS])
    except csv.Error:
        raise DomainError(
            _("The file could not be read as CSV near row %(row)d.") % {"row": number + 1},
            field="file",
        ) from None


def _xlsx_rows(content: bytes) -> Generator[NumberedRow, None, None]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_readable() from None
    if unpacked > MAX_UNPACK_RATIO * max_bytes():
        raise _too_big()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open the workbook means it is not one
        raise _not_readable() from None
    try:
        if not workbook.worksheets:
            raise _not_readable()
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception:  # noqa: BLE001 - a damaged sheet part
                raise _not_readable() from None
            number += 1
            if any(_text(value) for value in values):
                yield number, list(values)
    finally:
        workbook.close()


def _too_big() -> DomainError:
    return DomainError(
        _("The file is larger than %(mb)d MB. Split it into smaller files.")
        % {"mb": max_bytes() // (1024 * 1024)},
        field="file",
    )


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious “.0”, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


# --- the header -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    """Where each known column is: its field → (cell index, the header text as written)."""

    row: int
    positions: Mapping[str, tuple[int, str]]

    def label(self, field_name: str) -> str:
        position = self.positions.get(field_name)
        if position is not None:
            return position[1]
        column = COLUMN_BY_FIELD.get(field_name)
        return column.chinese if column is not None else ""

    def value(self, cells: Sequence[Any], field_name: str) -> Any:
        position = self.positions.get(field_name)
        if position is None or position[0] >= len(cells):
            return None
        return cells[position[0]]


_NAME_TO_FIELD = {name: column.field for column in COLUMNS for name in column.names()}


def find_header(rows: Iterator[NumberedRow]) -> Header:
    """The first row (of the first few) naming at least two known columns."""
    for _index, (number, cells) in zip(range(HEADER_SEARCH_ROWS), rows, strict=False):
        positions: dict[str, tuple[int, str]] = {}
        repeated: list[str] = []
        for index, cell in enumerate(cells):
            label = _text(cell)
            field_name = _NAME_TO_FIELD.get(_normalise_header(label))
            if field_name is None:
                continue
            if field_name in positions:
                repeated.append(label)
            positions.setdefault(field_name, (index, label))
        if len(positions) < 2:
            continue
        if repeated:
            raise DomainError(
                _("The column %(column)s appears twice in the header row.")
                % {"column": repeated[0]},
                field="file",
            )
        missing = [
            column for column in COLUMNS if column.required and column.field not in positions
        ]
        if missing:
            raise DomainError(
                _("The file lacks these columns: %(columns)s.")
                % {"columns": "、".join(f"{c.chinese} ({c.field})" for c in missing)},
                field="file",
            )
        return Header(row=number, positions=positions)
    raise DomainError(
        _(
            "No header row naming the columns was found. The first row should name them, such "
            "as 编号, 来电时间, 分类, 标题: download the template to see all of them."
        ),
        field="file",
    )


def read_records(content: bytes) -> tuple[Header, list[NumberedRow]]:
    """The header and the data rows of a file, within the size and row limits."""
    if len(content) > max_bytes():
        raise _too_big()
    limit = max_rows()
    data: list[NumberedRow] = []
    with contextlib.closing(read_table(content)) as rows:  # closes the workbook early too
        header = find_header(rows)
        for row in rows:
            data.append(row)
            if len(data) > limit:
                raise DomainError(
                    _(
                        "The file has more than %(limit)d records. Split it into files of at "
                        "most %(limit)d records each."
                    )
                    % {"limit": limit},
                    field="file",
                )
    if not data:
        raise DomainError(_("The file has no records below its header row."), field="file")
    return header, data


# --- validation -----------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the spreadsheet shows it, the column, what is wrong."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Record:
    """A checked row, ready for `case_submit`."""

    row: int
    external_id: str
    submitted_at: datetime
    category: Category
    area: OrgUnit
    title: str
    description: str
    address: str
    priority: str
    reporter_name: str
    reporter_phone: str
    is_anonymous: bool


@dataclass
class Lookups:
    """What the checks need from the database, loaded once for the whole file."""

    categories_by_code: dict[str, Category]
    categories_by_name: dict[str, list[Category]]
    units_by_code: dict[str, OrgUnit]
    units_by_name: dict[str, list[OrgUnit]]
    imported_ids: set[str]


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == LOOKUP_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def already_imported(external_ids: Iterable[str]) -> set[str]:
    """Those of the hotline numbers that an earlier import brought in."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(external_ids))):
        found.update(
            Case.objects.filter(channel=Channel.IMPORT, external_id__in=chunk).values_list(
                "external_id", flat=True
            )
        )
    return found


def load_lookups(unit: OrgUnit, header: Header, rows: Sequence[NumberedRow]) -> Lookups:
    categories = list(Category.objects.select_related("parent"))
    by_name: dict[str, list[Category]] = {}
    for category in categories:
        by_name.setdefault(category.name, []).append(category)
    wanted = {_text(header.value(cells, "area")) for _number, cells in rows} - {""}
    units_by_code: dict[str, OrgUnit] = {}
    units_by_name: dict[str, list[OrgUnit]] = {}
    for chunk in _chunks(sorted(wanted)):
        matches = OrgUnit.objects.filter(unit.subtree_q()).filter(
            Q(code__in=chunk) | Q(name__in=chunk)
        )
        for found in matches.order_by("path"):
            units_by_code[found.code] = found
            units_by_name.setdefault(found.name, []).append(found)
    ids = [_text(header.value(cells, "external_id")) for _number, cells in rows]
    return Lookups(
        categories_by_code={category.code: category for category in categories},
        categories_by_name=by_name,
        units_by_code=units_by_code,
        units_by_name=units_by_name,
        imported_ids=already_imported(i for i in ids if i),
    )


_TIME_PATTERN = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$"
)
PRIORITY_WORDS = {
    "": Priority.NORMAL,
    "普通": Priority.NORMAL,
    "一般": Priority.NORMAL,
    "normal": Priority.NORMAL,
    "紧急": Priority.URGENT,
    "加急": Priority.URGENT,
    "urgent": Priority.URGENT,
}
YES_NO_WORDS = {
    "": False,
    "否": False,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "是": True,
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
}
_PHONE_PATTERN = re.compile(r"^[0-9+\-() #转]{3,20}$")
LIMITS = {
    "external_id": 64,
    "title": 100,
    "description": 4000,
    "address": 200,
    "reporter_name": 50,
}


Fail = Callable[[str, str], None]


class _RowChecker:
    """Checks one row after another, remembering the hotline numbers seen so far."""

    def __init__(self, header: Header, lookups: Lookups, now: datetime) -> None:
        self.header = header
        self.lookups = lookups
        self.latest = now + CLOCK_SKEW
        self.seen: dict[str, int] = {}

    def check(self, number: int, cells: Sequence[Any]) -> tuple[Record | None, list[RowError]]:
        errors: list[RowError] = []

        def fail(field_name: str, message: str) -> None:
            errors.append(RowError(number, self.header.label(field_name), message))

        def text(field_name: str, *, required: bool = False) -> str:
            value = _text(self.header.value(cells, field_name))
            limit = LIMITS.get(field_name)
            if required and not value:
                fail(field_name, _("This field is required."))
            elif limit is not None and len(value) > limit:
                fail(
                    field_name,
                    _("Use at most %(limit)d characters (you wrote %(count)d).")
                    % {"limit": limit, "count": len(value)},
                )
            return value

        external_id = text("external_id", required=True)
        if external_id and len(external_id) <= LIMITS["external_id"]:
            if external_id in self.seen:
                fail(
                    "external_id",
                    _("This number appears already in row %(row)d.")
                    % {"row": self.seen[external_id]},
                )
            elif external_id in self.lookups.imported_ids:
                fail("external_id", _("A record with this number has been imported already."))
            self.seen.setdefault(external_id, number)
        submitted_at = self._time(self.header.value(cells, "submitted_at"), fail)
        category = self._category(text("category", required=True), fail)
        title = text("title", required=True)
        description = text("description", required=True)
        address = text("address")
        area = self._area(text("area", required=True), fail)
        priority = self._choice(text("priority"), PRIORITY_WORDS, "priority", fail)
        reporter_name = text("reporter_name")
        reporter_phone = unicodedata.normalize("NFKC", text("reporter_phone"))
        if reporter_phone and not _PHONE_PATTERN.match(reporter_phone):
            fail(
                "reporter_phone",
                _("Enter a telephone number: digits, spaces and + - ( ), at most 20 characters."),
            )
        anonymous = self._choice(text("anonymous"), YES_NO_WORDS, "anonymous", fail)
        if errors:
            return None, errors
        assert submitted_at is not None and category is not None and area is not None
        return (
            Record(
                row=number,
                external_id=external_id,
                submitted_at=submitted_at,
                category=category,
                area=area,
                title=title,
                description=description,
                address=address,
                priority=str(priority),
                reporter_name=reporter_name,
                reporter_phone=reporter_phone,
                is_anonymous=bool(anonymous),
            ),
            [],
        )

    def _time(self, value: Any, fail: Fail) -> datetime | None:
        if value is None or _text(value) == "":
            fail("submitted_at", _("This field is required."))
            return None
        moment: datetime | None = None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        else:
            match = _TIME_PATTERN.match(unicodedata.normalize("NFKC", _text(value)))
            if match:
                year, month, day, hour, minute, second = (int(p or 0) for p in match.groups())
                try:
                    moment = datetime(year, month, day, hour, minute, second)
                except ValueError:
                    moment = None
        if moment is None:
            fail(
                "submitted_at",
                _("Write the time as 2025-03-01 09:30 or 2025/3/1 9:30:00 (Beijing time)."),
            )
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        if moment > self.latest:
            fail("submitted_at", _("The time cannot lie in the future."))
            return None
        return moment

    def _category(self, value: str, fail: Fail) -> Category | None:
        if not value:
            return None
        category = self.lookups.categories_by_code.get(value)
        if category is None:
            named = self.lookups.categories_by_name.get(value, [])
            leaves = [c for c in named if not c.is_group]
            if len(leaves) > 1:
                fail(
                    "category",
                    _("Several categories are called %(value)s; give the category's code.")
                    % {"value": value},
                )
                return None
            category = leaves[0] if leaves else (named[0] if named else None)
        if category is None:
            fail("category", _("No category has the code or name %(value)s.") % {"value": value})
            return None
        if category.is_group:
            fail(
                "category",
                _("%(value)s is a group of categories; give one of the categories in it.")
                % {"value": value},
            )
            return None
        if not category.is_active or (
            category.parent is not None and not category.parent.is_active
        ):
            fail("category", _("The category %(value)s is no longer used.") % {"value": value})
            return None
        return category

    def _area(self, value: str, fail: Fail) -> OrgUnit | None:
        if not value:
            return None
        unit = self.lookups.units_by_code.get(value)
        if unit is None:
            named = self.lookups.units_by_name.get(value, [])
            areas = [u for u in named if u.kind in RESIDENT_AREA_KINDS]
            if len(areas) > 1:
                fail(
                    "area",
                    _("Several units are called %(value)s; give the unit's code.")
                    % {"value": value},
                )
                return None
            unit = areas[0] if areas else (named[0] if named else None)
        if unit is None:
            fail(
                "area",
                _("No unit with the code or name %(value)s is among the units you serve.")
                % {"value": value},
            )
            return None
        if unit.kind not in RESIDENT_AREA_KINDS:
            fail(
                "area",
                _("%(value)s is not a community, village or grid.") % {"value": value},
            )
            return None
        if not unit.is_active:
            fail("area", _("The unit %(value)s is no longer active.") % {"value": value})
            return None
        return unit

    def _choice(
        self, value: str, words: Mapping[str, Any], field_name: str, fail: Fail
    ) -> Any | None:
        key = value.strip().lower()
        if key in words:
            return words[key]
        if field_name == "priority":
            fail(field_name, _("Write 普通 or 紧急 (normal or urgent)."))
        else:
            fail(field_name, _("Write 是 or 否 (yes or no)."))
        return None


def validate_rows(
    header: Header, rows: Sequence[NumberedRow], lookups: Lookups, *, now: datetime
) -> tuple[list[Record], list[RowError]]:
    """Check every row; the records of valid rows and the problems of the others."""
    checker = _RowChecker(header, lookups, now)
    records: list[Record] = []
    errors: list[RowError] = []
    for number, cells in rows:
        record, problems = checker.check(number, cells)
        if record is not None:
            records.append(record)
        errors.extend(problems)
    return records, errors


# --- the service ----------------------------------------------------------------------------
@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    case_ids: list[int] = field(default_factory=list)
    tracking_codes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.case_ids)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({error.row for error in self.errors})


class _Abort(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import aborted")
        self.errors = errors


def importing_unit(actor: Actor, unit: OrgUnit | None = None) -> OrgUnit:
    """The unit whose subtree the records go to: the actor's own, or one below it."""
    if not (actor.system or actor.has_capability(Capability.CASE_HANDLE)):
        raise Forbidden()
    if actor.system:
        if unit is None:
            raise DomainError(_("Name the unit the records are imported for."), field="unit")
        return unit
    own = actor.unit
    if own is None:
        raise Forbidden()
    if unit is None:
        return own
    if not own.contains(unit):
        raise Forbidden()
    return unit


def cases_import(
    *, actor: Actor, file_name: str, content: bytes, unit: OrgUnit | None = None
) -> ImportResult:
    """Import every record of a hotline file, or none of them.

    File-level problems (type, size, header, too many rows) raise DomainError on `file`.
    Row problems come back as `ImportResult.errors`, and then nothing has been imported.
    `unit` is required for the system actor (commands): areas must lie in its subtree.
    """
    importer = importing_unit(actor, unit)
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    header, rows = read_records(content)
    lookups = load_lookups(importer, header, rows)
    records, errors = validate_rows(header, rows, lookups, now=timezone.now())
    if errors:
        return ImportResult(file_name=name, rows=len(rows), errors=errors)
    try:
        case_ids, codes = _write(actor, importer, header, records, name, content)
    except _Abort as abort:
        return ImportResult(file_name=name, rows=len(rows), errors=abort.errors)
    return ImportResult(file_name=name, rows=len(rows), case_ids=case_ids, tracking_codes=codes)


@transaction.atomic
def _write(
    actor: Actor,
    importer: OrgUnit,
    header: Header,
    records: Sequence[Record],
    name: str,
    content: bytes,
) -> tuple[list[int], list[str]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_ID])
    # Checked again under the lock: another import may have committed since the first check.
    clashes = already_imported(record.external_id for record in records)
    if clashes:
        raise _Abort(
            [
                RowError(
                    record.row,
                    header.label("external_id"),
                    _("A record with this number has been imported already."),
                )
                for record in records
                if record.external_id in clashes
            ]
        )
    case_ids: list[int] = []
    codes: list[str] = []
    for record in records:
        try:
            with clock.at(record.submitted_at):
                case = case_submit(
                    actor=actor,
                    channel=Channel.IMPORT,
                    category=record.category,
                    area=record.area,
                    title=record.title,
                    description=record.description,
                    address=record.address,
                    priority=record.priority,
                    is_anonymous=record.is_anonymous,
                    reporter_name=record.reporter_name,
                    reporter_phone=record.reporter_phone,
                    external_id=record.external_id,
                    submitted_at=record.submitted_at,
                )
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            column = _SERVICE_FIELDS.get(error.field or "", error.field or "")
            raise _Abort(
                [RowError(record.row, header.label(column) if column else "", str(error.message))]
            ) from None
        case_ids.append(case.pk)
        codes.append(case.tracking_code)
    audit_log(
        actor=actor,
        action="cases.import.completed",
        target=importer,
        data={
            "file_name": name,
            "rows": len(records),
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return case_ids, codes


def template_rows(*, category_code: str, area_code: str, submitted_at: str) -> list[list[str]]:
    """The header (Chinese names) and one example row, for a template file."""
    example = {
        "external_id": "12345-20250301-0001",
        "submitted_at": submitted_at,
        "category": category_code,
        "title": "小区路灯不亮",
        "description": "3号楼前的两盏路灯已经一周不亮，晚上出行不便，请尽快维修。",
        "address": "柳岸路88号3号楼前",
        "area": area_code,
        "priority": "普通",
        "reporter_name": "王先生",
        "reporter_phone": "13800138000",
        "anonymous": "否",
    }
    return [[column.chinese for column in COLUMNS], [example[c.field] for c in COLUMNS]]
