"""Background jobs for insight: place new cases into hot issues."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from jiceng.core.actors import SYSTEM
from jiceng.insight.hot_services import hot_issues_assign

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("insight-hot-issues-assign")
def assign_hot_issues() -> int:
    """Every five minutes: the cases that arrived since the last run join or start issues."""
    placed = hot_issues_assign(actor=SYSTEM)
    if placed:
        logger.info("Placed %s cases into hot issues", placed)
    return placed
