"""Background jobs for requests: escalate missed deadlines, close unanswered, send e-mail (to staff
and to residents), store the rate tallies of the months that still change."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jiceng.cases import resident_mail
from jiceng.cases.models import Case, Notification
from jiceng.cases.rate_services import rate_tallies_rebuild, recent_months
from jiceng.cases.services import close_unanswered, escalate_overdue
from jiceng.core.actors import SYSTEM

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_cases() -> int:
    """Every five minutes: each missed deadline is escalated once (the table enforces once)."""
    made = escalate_overdue(actor=SYSTEM)
    if made:
        logger.info("Escalated %s overdue requests", made)
    return made


@db_periodic_task(crontab(minute="7", hour="*"))
def close_cases_without_feedback() -> int:
    closed = close_unanswered(actor=SYSTEM)
    if closed:
        logger.info("Closed %s requests without feedback", closed)
    return closed


@db_periodic_task(crontab(minute="41"))
def rebuild_recent_rate_tallies() -> int:
    """Every hour: the previous and the current month's rate tallies counted again and stored
    (the dashboard reads stored months; their figures are at most an hour old)."""
    return rate_tallies_rebuild(recent_months())


@db_task(retries=3, retry_delay=60)
def email_notifications(notification_ids: list[int]) -> int:
    """E-mail notifications to recipients who have an address; failures retry."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related(
        "recipient"
    ):
        if not notification.recipient.email:
            continue
        send_mail(
            subject=notification.message[:78],
            message=notification.message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
        sent += 1
    return sent


@db_task(retries=3, retry_delay=60)
def email_resident(case_id: int, kind: str) -> bool:
    """E-mail the resident who left an address about their request (resident_mail.py);
    scheduled after the transaction commits, so a failure never touches the workflow; retries."""
    case = (
        Case.objects.select_related("category", "current_unit", "merged_into")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not case.reporter_email:
        return False
    subject, body = resident_mail.compose(case, kind)
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[case.reporter_email],
    )
    return True
