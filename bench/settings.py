"""Settings for the benchmarks: the production settings (`config.settings`), with every file in
the benchmark's temporary directory and the URLconf of bench/urls.py.

The benchmarks set DEBUG, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and the rate limits through the
environment, as a deployment would; nothing else differs from production.
"""

from __future__ import annotations

import os
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import HUEY

_BENCH_DIR = Path(os.environ["JICENG_BENCH_DIR"])

STATIC_ROOT = _BENCH_DIR / "static"
MEDIA_ROOT = str(_BENCH_DIR / "media")
HUEY = {**HUEY, "filename": str(_BENCH_DIR / "huey.sqlite3")}
ROOT_URLCONF = "bench.urls"

# `bench/intake.py --writer-lock`: an experiment, see bench/sqlite_writer_lock/base.py.
if os.environ.get("JICENG_BENCH_WRITER_LOCK") == "1":
    DATABASES["default"]["ENGINE"] = "bench.sqlite_writer_lock"  # noqa: F405

# `bench/intake.py --conn-max-age N`: an experiment, persistent SQLite connections, which
# config.settings only turns on for other databases.
if os.environ.get("JICENG_BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["JICENG_BENCH_CONN_MAX_AGE"])  # noqa: F405
