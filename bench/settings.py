"""Settings for the benchmarks: the production settings (`config.settings`), with every file in
the benchmark's temporary directory.

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
