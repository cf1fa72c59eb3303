"""Background jobs of duplicate detection: keep the index to what lookups read."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from jiceng.core.actors import SYSTEM
from jiceng.insight.duplicate_services import duplicate_index_prune

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="2", minute="37"))
@lock_task("insight-duplicates-prune")
def prune_duplicate_index() -> int:
    """Every night: the index rows of cases closed, rejected or merged since are removed."""
    report = duplicate_index_prune(actor=SYSTEM)
    if report.cases:
        logger.info(
            "Duplicate index: removed %s postings and %s signatures of %s finished cases",
            report.postings,
            report.signatures,
            report.cases,
        )
    return report.postings + report.signatures
