"""What identifies a person, made safe to show or count.

Keyed hashes of a device or an address: repeats can be counted, people cannot be identified, and
the hashes of one feature say nothing about those of another. Masked phone numbers: enough to
recognise a number one already knows, not enough to call it.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_hash(namespace: str, purpose: str, value: str) -> str:
    key = f"{namespace}.{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678: the first 3 and last 4 digits of 11 or more; shorter numbers keep the last 4."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)
