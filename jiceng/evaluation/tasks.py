"""Background jobs for evaluation rounds."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jiceng.core.actors import SYSTEM
from jiceng.evaluation.round_services import rounds_close_due

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))
def close_due_stages() -> int:
    """Every quarter hour: a stage whose deadline passed closes and the next one starts.

    Each move is conditional on the state it was checked in, so overlapping runs move a round
    once; pages compute "closed" from the stored deadline, so a late run shows nothing wrong.
    """
    moved = rounds_close_due(actor=SYSTEM)
    if moved:
        logger.info("Moved %s evaluation rounds to their next stage", moved)
    return moved
