"""Small PDFs built in the tests: Chinese text through a Type0 font with a ToUnicode CMap."""

from __future__ import annotations

import zlib

_CMAP = (
    b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
    b"/CMapName /Identity-UCS def 1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
    b"1 beginbfrange <0000> <FFFF> <0000> endbfrange\n"
    b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
)


def chinese_pdf(lines: list[str], *, compress: bool = True) -> bytes:
    """A one-page PDF showing `lines`, each character one two-byte code equal to its code point."""
    content = b"BT /F1 12 Tf 72 720 Td\n"
    for line in lines:
        content += b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj 0 -16 Td\n"
    content += b"ET\n"
    latin = b"BT /F2 10 Tf 72 60 Td (Page 1) Tj ET\n"
    content += latin

    def stream(data: bytes) -> bytes:
        if compress:
            packed = zlib.compress(data)
            return (
                b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed)
                + packed
                + (b"\nendstream")
            )
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> >>",
        stream(content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/ToUnicode 6 0 R /DescendantFonts [] >>",
        stream(_CMAP),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return _assemble(objects)


def latin_pdf(text: str) -> bytes:
    """A one-page PDF with one line of plain Latin text in a standard font, uncompressed."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = b"BT /F1 12 Tf 72 720 Td (" + escaped.encode("latin-1") + b") Tj ET\n"
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _assemble(objects: list[bytes]) -> bytes:
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def docx(paragraphs: list[str]) -> bytes:
    import io
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def modern_pdf(lines: list[str]) -> bytes:
    """As office software writes PDF 1.5 and later: the dictionaries packed in a compressed object
    stream and the cross-reference table itself a compressed stream."""
    content = b"BT /F1 12 Tf 72 720 Td\n"
    for line in lines:
        content += b"<" + line.encode("utf-16-be").hex().upper().encode() + b"> Tj 0 -16 Td\n"
    content += b"ET\n"
    packed = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        5: b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/ToUnicode 6 0 R /DescendantFonts [] >>",
    }
    header, body = b"", b""
    for number, data in packed.items():
        header += b"%d %d " % (number, len(body))
        body += data + b"\n"
    object_stream = zlib.compress(header + body)

    def stream(extra: bytes, data: bytes) -> bytes:
        data = zlib.compress(data)
        return b"<< %s /Length %d /Filter /FlateDecode >>\nstream\n" % (extra, len(data)) + (
            data + b"\nendstream"
        )

    plain = {
        4: stream(b"", content),
        6: stream(b"", _CMAP),
        7: b"<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
        % (len(packed), len(header), len(object_stream))
        + object_stream
        + b"\nendstream",
    }
    out = b"%PDF-1.7\n"
    offsets = {}
    for number, data in plain.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + data + b"\nendobj\n"
    rows = b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"
    index_in_stream = {number: i for i, number in enumerate(packed)}
    for number in range(1, 9):
        if number in packed:
            rows += b"\x02" + (7).to_bytes(4, "big") + index_in_stream[number].to_bytes(2, "big")
        elif number == 8:
            rows += b"\x01" + len(out).to_bytes(4, "big") + b"\x00\x00"
        else:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00"
    xref_at = len(out)
    out += b"8 0 obj\n" + stream(b"/Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R", rows)
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return out
