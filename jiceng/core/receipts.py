"""Receipt codes for people who file something without an account (a misconduct report, a
copyright dispute): shown to them once, stored only as a SHA-256 digest, looked up by digest."""

from __future__ import annotations

import base64
import hashlib
import secrets

CODE_BYTES = 16  # 128 bits: enough to be unguessable on its own
MAX_CODE = 64  # the longest input a lookup form accepts


def new_receipt_code() -> str:
    """26 base32 characters (130 bits) in groups of four, easy to copy on a phone."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(code: str) -> str:
    """Upper case, without the dashes and spaces people type or copy along."""
    return "".join(ch for ch in code.upper() if ch.isalnum())[:MAX_CODE]


def receipt_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()
