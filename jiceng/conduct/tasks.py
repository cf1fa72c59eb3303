"""Background jobs for conduct: escalate overdue rectification items."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jiceng.conduct.rectification_services import escalate_overdue_rectifications
from jiceng.core.actors import SYSTEM

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))
def escalate_overdue_rectification_items() -> int:
    """Every quarter hour: each item past its deadline is escalated once per deadline."""
    made = escalate_overdue_rectifications(actor=SYSTEM)
    if made:
        logger.info("Escalated %s overdue rectification items", made)
    return made
