"""Photos sent with a request: recognised by content, size-checked, and re-encoded.

Re-encoding drops the metadata phones write into photos (GPS position, device, time), which
would otherwise identify residents who chose to stay anonymous.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jiceng.core.errors import DomainError

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Photo:
    content_type: str
    size: int
    sha256: str
    width: int
    height: int


def checked_photo(upload: UploadedFile) -> tuple[bytes, Photo]:
    """The cleaned image bytes and what they are; DomainError when it is not a usable photo."""
    limit = settings.CASE_MAX_PHOTO_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    upload.seek(0)
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise _too_big(limit)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in FORMATS:
            raise UnidentifiedImageError(kind)
        with Image.open(io.BytesIO(raw)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DomainError(_("This photo has too many pixels."), field="photos")
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if kind == "JPEG":
                upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            elif kind == "PNG":
                upright.save(out, "PNG", optimize=True)
            else:
                upright.save(out, "WEBP", quality=85)
            width, height = upright.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(
            _("Only JPEG, PNG and WebP photos can be attached; this file is not one."),
            field="photos",
        ) from None
    content = out.getvalue()
    return content, Photo(
        content_type=FORMATS[kind],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        width=width,
        height=height,
    )


def _too_big(limit: int) -> DomainError:
    return DomainError(
        _("Each photo may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
        field="photos",
    )
