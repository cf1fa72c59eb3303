"""Settings driven by the environment: databases, job queue, deployment checks, translations."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _settings_in_subprocess(env: dict[str, str], expression: str) -> object:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}, default=str))"
    )
    clean_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean_env,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "JICENG_TESTING": "0",
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_sqlite_under_var_and_a_sqlite_job_queue():
    engine, name, huey, counters, counters_path, max_age = _settings_in_subprocess(
        {},
        "[settings.DATABASES['default']['ENGINE'], str(settings.DATABASES['default']['NAME']), "
        "settings.HUEY['huey_class'], settings.RATELIMIT_STORE, settings.RATELIMIT_SQLITE_PATH, "
        "settings.DATABASES['default']['CONN_MAX_AGE']]",
    )
    # Django's SQLite backend with writers queued on a file lock.
    assert engine == "jiceng.core.db.sqlite"
    assert name == str(ROOT / "var" / "jiceng.sqlite3")
    assert huey == "huey.SqliteHuey"
    # Rate-limit counters in a file of their own, not in the main database.
    assert counters == "sqlite"
    assert counters_path == str(ROOT / "var" / "ratelimit.sqlite3")
    assert max_age == 60


def test_postgresql_and_redis_come_from_the_environment():
    engine, huey, cache, counters = _settings_in_subprocess(
        {"DATABASE_URL": "postgres://u@db.example:5432/jc", "REDIS_URL": "redis://cache:6379/1"},
        "[settings.DATABASES['default']['ENGINE'], settings.HUEY['huey_class'], "
        "settings.CACHES['default']['BACKEND'], settings.RATELIMIT_STORE]",
    )
    assert engine == "django.db.backends.postgresql"
    assert huey == "huey.RedisHuey"
    assert cache == "django.core.cache.backends.redis.RedisCache"
    assert counters == "cache"


@pytest.mark.django_db
def test_commands_speak_the_default_language_unless_command_language_says_otherwise():
    assert _settings_in_subprocess({"COMMAND_LANGUAGE": ""}, "settings.COMMAND_LANGUAGE") == (
        "zh-hans"
    )
    assert _settings_in_subprocess({"COMMAND_LANGUAGE": "en"}, "settings.COMMAND_LANGUAGE") == "en"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite pragmas apply only when the database is SQLite")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.DATABASES["default"]["OPTIONS"]["timeout"] * 1000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def test_sqlite_file_database_really_switches_to_wal(tmp_path):
    mode = _settings_in_subprocess(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'wal.sqlite3'}"},
        "__import__('django.db', fromlist=['connection']).connection.cursor()"
        ".execute('PRAGMA journal_mode').fetchone()[0]",
    )
    assert mode == "wal"


def test_deploy_check_is_clean_with_production_settings():
    inherited = ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {
        **{k: v for k, v in os.environ.items() if k not in inherited},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "JICENG_TESTING": "0",
        "DEBUG": "false",
        "HTTPS": "true",
        "ALLOWED_HOSTS": "jiceng.example.org",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "MISCONDUCT_KEY": Fernet.generate_key().decode(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_chinese_catalogue_is_complete_and_compiled():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue.translated_entries()) > 100
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    }
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in catalogue.translated_entries()
    }
    assert compiled == source, "the compiled .mo differs from the .po: run make messages"


def test_placeholders_survive_translation():
    """A translation that drops or renames a %(name)s placeholder would crash or mislead."""
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]")
    for entry in polib.pofile(str(CATALOGUE)).translated_entries():
        source = set(pattern.findall(entry.msgid))
        targets = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for target in targets:
            assert set(pattern.findall(target)) == source, entry.msgid
