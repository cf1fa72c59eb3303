"""Text of uploaded attachments (PDF, DOCX, TXT), recognised by content, never by name.

PDFs are read with pypdf. Scanned PDFs (images), encrypted PDFs and files pypdf cannot parse
are kept, marked "text could not be extracted", and found by their title and body only.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.etree import ElementTree

from pypdf import PdfReader

from jiceng.core.uploads import evidence_kind


@dataclass(frozen=True)
class Extracted:
    kind: str  # pdf, docx or txt
    text: str
    readable: bool


def sniff(raw: bytes) -> str | None:
    """pdf, docx or txt by content; None for anything else (images, archives, binaries)."""
    kind = evidence_kind(raw)
    if kind in ("pdf", "docx"):
        return kind
    if kind is not None or raw.startswith(b"PK"):
        return None
    return "txt" if decode_text(raw) is not None else None


def decode_text(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM) or GB18030 text; None when it is not text."""
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\r\n\t\f")
        if controls > 4:
            return None
        return text
    return None


def extract(raw: bytes) -> Extracted | None:
    kind = sniff(raw)
    if kind is None:
        return None
    if kind == "txt":
        return Extracted("txt", decode_text(raw) or "", True)
    if kind == "docx":
        text = docx_text(raw)
        return Extracted("docx", text or "", text is not None)
    text = pdf_text(raw)
    return Extracted("pdf", text or "", bool(text and text.strip()))


# --- DOCX -----------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(raw: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(raw)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > 50 * 1024 * 1024:
                return None
            xml = archive.read(info)
        root = ElementTree.fromstring(xml)  # noqa: S314  (no external entities in stdlib parser)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError):
        return None
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        paragraphs.append("".join(node.text or "" for node in paragraph.iter(f"{_W}t")))
    return "\n".join(p for p in paragraphs if p)


# --- PDF ------------------------------------------------------------------------------------
# pypdf reads what real office software writes (object streams, cross-reference streams, CID
# fonts with ToUnicode maps, every standard filter); the page count is capped so that a crafted
# file cannot keep a web process busy, and a parser error marks the file unreadable instead of
# refusing the upload.
MAX_PDF_PAGES = 500


def pdf_text(raw: bytes) -> str | None:
    """The text of a PDF; None when it is encrypted, scanned (images only) or unreadable."""
    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted:
            return None
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except Exception:  # noqa: BLE001  (a malformed upload can make any parser fail anyhow)
        return None
    text = re.sub(r"[ \t]*\n\s*", "\n", "\n".join(pages)).strip()
    return text or None
