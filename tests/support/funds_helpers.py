"""Shared by the fund, staff and equipment tests: actors, uploads, ledgers built by services."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiceng.support import fund_services

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def upload(name: str = "发票.pdf", content: bytes = PDF, kind: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=kind)


def allocate(actor, unit, amount="10000.00", year=2026, source="district_budget"):
    return fund_services.fund_allocation_record(
        actor=actor,
        unit=unit,
        year=year,
        source=source,
        amount=Decimal(amount),
        entry_date=date(2026, 1, 10),
    )


def spend(actor, unit, amount="300.00", spent_on=date(2026, 3, 5), **extra):
    return fund_services.fund_expense_record(
        actor=actor,
        unit=unit,
        category=extra.pop("category", "activities"),
        amount=Decimal(amount),
        payee=extra.pop("payee", "柳岸文印店"),
        spent_on=spent_on,
        purpose=extra.pop("purpose", "主题党日活动资料印制"),
        **extra,
    )
