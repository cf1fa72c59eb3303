"""Import into the library: literature-site pages (the seed page's text format), XLSX lists and
folders of both. Parsing is pure (no ORM) and names the line or row of every problem; writing
is idempotent by a key per document, so running an import twice creates nothing new.

Page format (one document per file)::

    title line
    来源 :当代党员 | 被引量 : 0次 | 上传用户:knightxmu      (metadata, `|`-separated)
    下载到本地 , 更方便阅读 / 声明 : …                      (site furniture and copyright notice)
    论文部分内容阅读                                        (the body follows)
    …body… (a last line starting with —— names the author)
    其他文献                                                (each following line: another
    …snippet…                                               document, imported as an excerpt)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.actors import SYSTEM
from jiceng.core.audit import audit_log
from jiceng.library.extract import decode_text
from jiceng.library.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    RelatedLink,
    RelatedSource,
    Visibility,
)
from jiceng.library.services import document_reindex, tags_text

BODY_MARK = "论文部分内容阅读"
RELATED_MARK = "其他文献"
MAX_FILE_BYTES = 20 * 1024 * 1024
_META_KEYS = {"来源": "source", "被引量": "cited", "上传用户": "uploader", "作者": "authors"}


class ImportProblem(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ParsedDocument:
    title: str
    body: str
    source: str = ""
    authors: str = ""
    uploader: str = ""
    cited: int = 0
    published_on: dt.date | None = None
    kind: str = DocumentKind.ARTICLE
    tags: list[str] = field(default_factory=list)
    is_stub: bool = False
    related: list[ParsedDocument] = field(default_factory=list)

    @property
    def key(self) -> str:
        basis = f"stub:{self.body}" if self.is_stub else f"doc:{self.title}|{self.source}"
        return hashlib.sha256(basis.encode()).hexdigest()


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _line_problem(number: int, message: str) -> str:
    return _("line %(line)d: %(message)s") % {"line": number, "message": message}


def stub_title(snippet: str) -> str:
    """A title for an excerpt: its first sentence, at most 40 characters."""
    first = re.split(r"[。！？!?]|\s{2,}", snippet.strip(), maxsplit=1)[0].strip(" ,，")
    return (first[:40] + "…") if len(first) > 40 else first or snippet[:40]


def parse_page(text: str) -> ParsedDocument:
    """The document of a page in the seed format; ImportProblem names the lines at fault."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    problems: list[str] = []
    numbered = [(i + 1, line.strip()) for i, line in enumerate(lines)]
    content = [(n, line) for n, line in numbered if line]
    if not content:
        raise ImportProblem([_line_problem(1, _("the file is empty"))])
    title_line, title = content[0]
    if len(title) > 300 or title.startswith(("来源", BODY_MARK)):
        problems.append(_line_problem(title_line, _("the first line must be the title")))
    meta: dict[str, str] = {}
    body_start = related_start = None
    for n, line in numbered:
        if line == BODY_MARK and body_start is None:
            body_start = n
        elif line == RELATED_MARK and body_start is not None and related_start is None:
            related_start = n
        elif body_start is None and any(line.startswith(key) for key in _META_KEYS):
            for part in line.split("|"):
                key, sep, value = part.replace("：", ":").partition(":")
                key = key.strip()
                if not sep or key not in _META_KEYS:
                    problems.append(
                        _line_problem(
                            n, _("cannot read the metadata “%(part)s”") % {"part": part.strip()}
                        )
                    )
                    continue
                meta[_META_KEYS[key]] = value.strip()
                if _META_KEYS[key] == "cited" and not re.fullmatch(r"\d{1,9}\s*次?", value.strip()):
                    problems.append(
                        _line_problem(
                            n, _("times cited must be a number, not “%(v)s”") % {"v": value.strip()}
                        )
                    )
    if "source" not in meta:
        problems.append(_line_problem(title_line + 1, _("a metadata line with 来源 : is missing")))
    if body_start is None:
        problems.append(
            _line_problem(
                len(lines), _("the line %(mark)s before the text is missing") % {"mark": BODY_MARK}
            )
        )
    if problems:
        raise ImportProblem(problems)
    assert body_start is not None
    end = related_start if related_start is not None else len(lines) + 1
    body_lines = [line for n, line in numbered if body_start < n < end and line]
    if not body_lines:
        raise ImportProblem([_line_problem(body_start, _("the text after this line is empty"))])
    authors = meta.get("authors", "")
    if not authors and body_lines[-1].startswith("——"):
        authors = body_lines[-1].lstrip("—- ").strip()
    document = ParsedDocument(
        title=title,
        body="\n".join(body_lines),
        source=meta.get("source", "")[:200],
        authors=authors[:300],
        uploader=meta.get("uploader", "")[:100],
        cited=int(re.sub(r"\D", "", meta.get("cited", "")) or 0),
    )
    if related_start is not None:
        for n, line in numbered:
            if n > related_start and line:
                document.related.append(
                    ParsedDocument(title=stub_title(line), body=line, is_stub=True)
                )
    return document


KIND_NAMES = {
    "文章": DocumentKind.ARTICLE,
    "经验材料": DocumentKind.EXPERIENCE,
    "经验交流": DocumentKind.EXPERIENCE,
    "政策文件": DocumentKind.POLICY,
    "典型案例": DocumentKind.TYPICAL_CASE,
    "培训材料": DocumentKind.TRAINING,
    **{value: value for value in DocumentKind.values},
}
COLUMNS = {
    "标题": "title",
    "title": "title",
    "作者": "authors",
    "authors": "authors",
    "来源": "source",
    "source": "source",
    "日期": "date",
    "date": "date",
    "类型": "kind",
    "kind": "kind",
    "标签": "tags",
    "tags": "tags",
    "被引量": "cited",
    "正文": "body",
    "body": "body",
    "正文文件": "file",
    "file": "file",
}


def _date(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_xlsx(path: Path) -> list[ParsedDocument]:
    """Rows of a list (标题, 作者, 来源, 日期, 类型, 标签, 被引量, 正文 or 正文文件)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001  (openpyxl raises many kinds)
        raise ImportProblem(
            [_("not a readable XLSX workbook (%(e)s)") % {"e": type(error).__name__}]
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise ImportProblem([_("row 1: the sheet is empty")])
    columns = {
        index: COLUMNS.get(
            str(name or "").strip().lower(), COLUMNS.get(str(name or "").strip(), "")
        )
        for index, name in enumerate(header)
    }
    if "title" not in columns.values():
        raise ImportProblem([_("row 1: a 标题 (title) column is needed")])
    if "body" not in columns.values() and "file" not in columns.values():
        raise ImportProblem([_("row 1: a 正文 (body) or 正文文件 (body file) column is needed")])
    documents: list[ParsedDocument] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        values = {columns[i]: v for i, v in enumerate(row) if columns.get(i)}
        if all(v in (None, "") for v in values.values()):
            continue

        def problem(message: str, number: int = number) -> None:
            problems.append(_("row %(row)d: %(message)s") % {"row": number, "message": message})

        title = str(values.get("title") or "").strip()
        if not title or len(title) > 300:
            problem(_("the title is missing or longer than 300 characters"))
            continue
        body = str(values.get("body") or "")
        if values.get("file"):
            file_path = (path.parent / str(values["file"])).resolve()
            if not file_path.is_file() or path.parent.resolve() not in file_path.parents:
                problem(_("the body file %(f)s is not next to the list") % {"f": values["file"]})
                continue
            body = file_path.read_text(encoding="utf-8", errors="replace")
        if not body.strip():
            problem(_("the body is empty"))
            continue
        try:
            published_on = _date(values.get("date"))
        except ValueError:
            problem(_("the date “%(d)s” is not a date like 2024-05-01") % {"d": values.get("date")})
            continue
        kind = KIND_NAMES.get(str(values.get("kind") or "文章").strip())
        if kind is None:
            problem(_("unknown kind “%(k)s”") % {"k": values.get("kind")})
            continue
        cited_text = str(values.get("cited") or "0").strip().removesuffix("次")
        if not cited_text.isdigit():
            problem(_("times cited must be a number"))
            continue
        documents.append(
            ParsedDocument(
                title=title,
                body=body,
                authors=str(values.get("authors") or "").strip()[:300],
                source=str(values.get("source") or "").strip()[:200],
                published_on=published_on,
                kind=kind,
                tags=[t for t in re.split(r"[,，;；、\s]+", str(values.get("tags") or "")) if t],
                cited=int(cited_text),
            )
        )
    workbook.close()
    if problems:
        raise ImportProblem(problems)
    return documents


def _store(parsed: ParsedDocument, report: ImportReport) -> Document:
    existing = Document.objects.filter(import_key=parsed.key).first()
    if existing is not None:
        report.skipped.append(parsed.title)
        return existing
    document = Document.objects.create(
        title=parsed.title[:300],
        body=parsed.body,
        source=parsed.source,
        authors=parsed.authors,
        uploader_name=parsed.uploader,
        cited_seed=parsed.cited,
        times_cited=parsed.cited,
        published_on=parsed.published_on,
        year=parsed.published_on.year if parsed.published_on else None,
        kind=parsed.kind,
        tags=tags_text(parsed.tags),
        is_stub=parsed.is_stub,
        import_key=parsed.key,
        status=DocumentStatus.PUBLISHED,
        visibility=Visibility.PUBLIC,
    )
    document_reindex(document=document)
    audit_log(
        actor=SYSTEM,
        action="library.document.imported",
        target=document,
        data={"title": document.title, "excerpt": parsed.is_stub},
    )
    report.created.append(parsed.title)
    return document


def import_documents(documents: list[ParsedDocument]) -> ImportReport:
    """Store what is new, link related excerpts; one transaction per call."""
    report = ImportReport()
    with transaction.atomic():
        for parsed in documents:
            document = _store(parsed, report)
            for position, related in enumerate(parsed.related):
                stub = _store(related, report)
                RelatedLink.objects.get_or_create(
                    document=document,
                    related=stub,
                    defaults={"source": RelatedSource.IMPORT, "position": position},
                )
    return report


def files_of(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file())
    else:
        yield path


def parse_file(path: Path) -> list[ParsedDocument] | None:
    """The documents of one file; None for a kind of file the import does not read."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return parse_xlsx(path)
    if suffix in (".txt", ".text", ""):
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            raise ImportProblem([_("the file is larger than 20 MB")])
        text = decode_text(raw)
        if text is None:
            raise ImportProblem([_("the file is neither UTF-8 nor GB18030 text")])
        return [parse_page(text)]
    return None
