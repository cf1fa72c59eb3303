"""Text of uploaded attachments (PDF, DOCX, TXT), recognised by content, never by name.

The PDF reader is deliberately small (no PDF library is installed): it reads content streams
stored plain or Flate-compressed, the text operators Tj, TJ, ' and ", literal and hexadecimal
strings, and maps two-byte codes through the ToUnicode CMaps it finds (bfchar and bfrange).
It cannot read scanned PDFs (images), encrypted PDFs, object streams holding the page content,
or fonts without a ToUnicode map; such files are kept, marked "text could not be extracted",
and found by their title and body only. A maintained library (pypdf) would read more.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from xml.etree import ElementTree

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
_STREAM = re.compile(rb"<<(.{0,2000}?)>>\s*stream\r?\n", re.S)
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_MAX_OUTPUT = 5 * 1024 * 1024


def _streams(raw: bytes) -> list[bytes]:
    out: list[bytes] = []
    for match in _STREAM.finditer(raw):
        start = match.end()
        end = raw.find(b"endstream", start)
        if end < 0:
            continue
        data = raw[start:end].rstrip(b"\r\n")
        if b"/FlateDecode" in match.group(1):
            try:
                data = zlib.decompressobj().decompress(data, _MAX_OUTPUT)
            except zlib.error:
                continue
        elif b"/Filter" in match.group(1):
            continue  # other filters (images, DCT, LZW…) are not text we can read
        out.append(data)
    return out


def _hex_bytes(text: bytes) -> bytes:
    digits = re.sub(rb"\s", b"", text)
    if len(digits) % 2:
        digits += b"0"
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except ValueError:
        return b""


def _cmap(streams: list[bytes]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for stream in streams:
        if b"begincmap" not in stream:
            continue
        for block in _BFCHAR.findall(stream):
            pairs = _HEX.findall(block)
            for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
                code = int.from_bytes(_hex_bytes(src), "big")
                mapping[code] = _hex_bytes(dst).decode("utf-16-be", "ignore")
        for block in _BFRANGE.findall(stream):
            for line in block.splitlines():
                values = _HEX.findall(line)
                if len(values) != 3:
                    continue
                low = int.from_bytes(_hex_bytes(values[0]), "big")
                high = int.from_bytes(_hex_bytes(values[1]), "big")
                first = int.from_bytes(_hex_bytes(values[2]), "big")
                if high - low > 0x10000 or high < low:
                    continue
                if high - low == 0xFFFF and first == low:
                    mapping.setdefault(-1, "identity")  # marker: code is the code point
                    continue
                for offset in range(high - low + 1):
                    mapping[low + offset] = chr(first + offset) if first + offset < 0x110000 else ""
    return mapping


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A (...) string from `start` (just after the parenthesis); returns bytes and the end."""
    out = bytearray()
    depth = 1
    i = start
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(data):
        char = data[i : i + 1]
        if char == b"\\":
            following = data[i + 1 : i + 2]
            if following in escapes:
                out += escapes[following]
                i += 2
            elif following.isdigit():
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert digits is not None
                out.append(int(digits.group(0), 8) & 0xFF)
                i += 1 + len(digits.group(0))
            elif following in b"\r\n":
                i += 2
            else:
                out += following
                i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += char
        i += 1
    return bytes(out), i


def _two_byte_fonts(raw: bytes) -> set[bytes]:
    """Resource names of composite (Type0) fonts, whose strings are two-byte codes."""
    composite = {
        match.group(1)
        for match in re.finditer(rb"(\d+)\s+0\s+obj\s*<<(?:(?!endobj).){0,2000}?/Type0", raw, re.S)
    }
    return {
        match.group(1)
        for match in re.finditer(rb"/([A-Za-z0-9_.+-]+)\s+(\d+)\s+0\s+R", raw)
        if match.group(2) in composite
    }


def _decode(string: bytes, cmap: dict[int, str], two_byte: bool) -> str:
    if cmap and two_byte and len(string) >= 2:
        identity = -1 in cmap
        chars = []
        for i in range(0, len(string) - 1, 2):
            code = int.from_bytes(string[i : i + 2], "big")
            if code in cmap:
                chars.append(cmap[code])
            elif identity:
                chars.append(chr(code))
        if chars:
            return "".join(chars)
    if string.startswith(b"\xfe\xff"):
        return string[2:].decode("utf-16-be", "ignore")
    return string.decode("latin-1")


_NAME = re.compile(rb"/([A-Za-z0-9_.+-]+)")


def _content_text(data: bytes, cmap: dict[int, str], two_byte_fonts: set[bytes] | None) -> str:
    """`two_byte_fonts` None: the file names no composite font; hex strings go through the map."""
    out: list[str] = []
    i = 0
    pending: list[str] = []
    last_name = b""
    two_byte = False
    while i < len(data):
        char = data[i : i + 1]
        if char == b"/":
            name = _NAME.match(data, i)
            if name:
                last_name = name.group(1)
                i = name.end()
                continue
        if char == b"(":
            string, i = _literal(data, i + 1)
            pending.append(_decode(string, cmap, two_byte))
            continue
        if char == b"<" and data[i + 1 : i + 2] != b"<":
            end = data.find(b">", i)
            if end < 0:
                break
            hex_two_byte = two_byte if two_byte_fonts is not None else True
            pending.append(_decode(_hex_bytes(data[i + 1 : end]), cmap, hex_two_byte))
            i = end + 1
            continue
        if data[i : i + 2] == b"Tf":
            two_byte = two_byte_fonts is not None and last_name in two_byte_fonts
        elif char in (b"T", b"'", b'"'):
            operator = data[i : i + 2]
            if operator in (b"Tj", b"TJ") or char in (b"'", b'"'):
                out.append("".join(pending))
                pending = []
            elif operator in (b"Td", b"TD", b"T*"):
                out.append("\n")
        elif data[i : i + 2] == b"ET":
            out.append("\n")
            pending = []
        i += 1
    return "".join(out)


def pdf_text(raw: bytes) -> str | None:
    """The text of a simple PDF; None when the file holds no readable text stream."""
    if b"/Encrypt" in raw:
        return None
    streams = _streams(raw)
    cmap = _cmap(streams)
    fonts = _two_byte_fonts(raw) or None
    texts = []
    for stream in streams:
        if b"begincmap" in stream or (b"BT" not in stream):
            continue
        texts.append(_content_text(stream, cmap, fonts))
    text = re.sub(r"[ \t]*\n[\s]*", "\n", "".join(texts)).strip()
    return text or None
