"""Encryption of misconduct reporters' contact details (Fernet, key from MISCONDUCT_KEY)."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


def _fernet() -> Fernet:
    key = getattr(settings, "MISCONDUCT_KEY", "")
    if not key:
        raise RuntimeError("MISCONDUCT_KEY is not set")
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt_contact(*, name: str, phone: str) -> bytes:
    payload = json.dumps({"name": name, "phone": phone}, ensure_ascii=False).encode()
    return _fernet().encrypt(payload)


def decrypt_contact(token: bytes | memoryview) -> dict[str, str]:
    try:
        data = json.loads(_fernet().decrypt(bytes(token)))
    except (InvalidToken, ValueError):
        return {"name": "", "phone": ""}
    return {"name": str(data.get("name", "")), "phone": str(data.get("phone", ""))}


@register(Tags.security, deploy=True)
def check_misconduct_key(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """`check --deploy` fails without a valid Fernet key for reporters' contact details."""
    key = getattr(settings, "MISCONDUCT_KEY", "")
    derived = not getattr(settings, "MISCONDUCT_KEY_FROM_ENV", False)
    development = settings.DEBUG or getattr(settings, "TESTING", False)
    try:
        if key and (development or not derived):
            Fernet(key.encode() if isinstance(key, str) else key)
            return []
    except (ValueError, TypeError):
        pass
    return [
        Error(
            "MISCONDUCT_KEY is missing or is not a Fernet key.",
            hint="Set MISCONDUCT_KEY to a key made by "
            "`cryptography.fernet.Fernet.generate_key()` (see docs/DEPLOYMENT.md).",
            id="jiceng.E101",
        )
    ]
