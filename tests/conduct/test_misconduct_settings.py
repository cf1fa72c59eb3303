"""MISCONDUCT_KEY: derived in development and tests, required by the deployment check."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from jiceng.conduct.misconduct_crypto import check_misconduct_key, decrypt_contact, encrypt_contact

ROOT = Path(__file__).resolve().parents[2]


def _deploy_check(**extra: str) -> subprocess.CompletedProcess[str]:
    inherited = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "MISCONDUCT_KEY")
    env = {
        **{k: v for k, v in os.environ.items() if k not in inherited},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "JICENG_TESTING": "0",
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "jiceng.example.org",
        "SECRET_KEY": secrets.token_urlsafe(64),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_deploy_check_fails_clearly_without_the_key():
    result = _deploy_check()
    assert result.returncode != 0
    assert "jiceng.E101" in result.stderr + result.stdout
    assert "MISCONDUCT_KEY" in result.stderr + result.stdout


def test_deploy_check_refuses_a_key_that_is_not_a_fernet_key():
    result = _deploy_check(MISCONDUCT_KEY="not-a-key")
    assert result.returncode != 0 and "jiceng.E101" in result.stderr + result.stdout


def test_tests_get_a_stable_derived_key_that_round_trips(settings):
    assert settings.MISCONDUCT_KEY
    Fernet(settings.MISCONDUCT_KEY.encode())
    assert check_misconduct_key() == []
    token = encrypt_contact(name="张三", phone="13800000000")
    assert decrypt_contact(token) == {"name": "张三", "phone": "13800000000"}
    settings.MISCONDUCT_KEY = Fernet.generate_key().decode()
    assert decrypt_contact(token) == {"name": "", "phone": ""}  # another key reads nothing
    settings.MISCONDUCT_KEY = ""
    assert [error.id for error in check_misconduct_key()] == ["jiceng.E101"]


def test_a_derived_key_fails_the_check_outside_development(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.MISCONDUCT_KEY_FROM_ENV = False
    assert [error.id for error in check_misconduct_key()] == ["jiceng.E101"]
    settings.MISCONDUCT_KEY_FROM_ENV = True
    assert check_misconduct_key() == []
