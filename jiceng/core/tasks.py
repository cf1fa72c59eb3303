"""Background jobs of the core: a nightly check of the audit chain, SQLite's statistics, and the
sweep of uploaded files no record refers to."""

from __future__ import annotations

import logging

from django.db import connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jiceng.core.audit import ChainReport, all_entries_in_order, verify_chain
from jiceng.core.dbstats import sqlite_optimize
from jiceng.core.media_sweep import media_sweep

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="3", minute="17"))
def verify_audit_chain() -> ChainReport:
    """Walk the audit log every night; a broken link is logged as an error for the operators."""
    report = verify_chain(all_entries_in_order())
    if report.first_break is not None:
        logger.error(
            "Audit chain broken at entry #%s: %s",
            report.first_break.seq,
            report.first_break.problem,
        )
    else:
        logger.info("Audit chain intact: %s entries, head %s", report.checked, report.head_hash)
    return report


@db_periodic_task(crontab(hour="3", minute="47"))
def optimize_database() -> bool:
    """Once a day, SQLite's planner statistics follow the tables' growth (a no-op elsewhere)."""
    return sqlite_optimize(connection)


@db_periodic_task(crontab(hour="4", minute="23"))
def sweep_orphaned_uploads() -> int:
    """Once a day, files left by rolled-back uploads are removed (after a day's grace)."""
    report = media_sweep()
    if report.orphans:
        logger.info("Removed %s orphaned upload(s) of %s", len(report.orphans), report.examined)
    return len(report.orphans)
