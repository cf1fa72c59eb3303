"""Keyed hashes of what identifies a device or an address: repeats can be counted, people cannot
be identified, and the hashes of one feature say nothing about those of another."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_hash(namespace: str, purpose: str, value: str) -> str:
    key = f"{namespace}.{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
