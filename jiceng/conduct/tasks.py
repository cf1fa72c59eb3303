"""Background jobs for conduct: escalate overdue rectification items, score resolution replies."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

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


@db_task(retries=3, retry_delay=30)
def score_resolution_reply(reply_id: int) -> bool:
    """After a resolution commits: score its reply (once; a retry finds the stored score)."""
    from jiceng.cases.models import Reply
    from jiceng.conduct.reply_quality_services import reply_score_record

    reply = Reply.objects.filter(pk=reply_id, is_resolution=True).select_related("case", "unit")
    found = reply.first()
    if found is None:
        return False
    return reply_score_record(reply=found).created
