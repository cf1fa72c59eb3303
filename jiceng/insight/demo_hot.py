"""Demo hot issues: the demo requests placed into issues, and one issue of the month."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.insight.hot_services import STREET_KINDS, hot_issues_assign, issue_of_month_adopt
from jiceng.insight.models_hot import HotIssue, IssueOfMonth
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.roles import Role
from jiceng.support.demo_data import DemoActors


def seed_hot_issues(people: DemoPeople, stdout: Writer) -> int:
    """Place the requests not yet in an issue (idempotent: the job's cursor); let the busiest
    street adopt last month's hottest issue as its issue of the month, once."""
    placed = hot_issues_assign(actor=SYSTEM)
    stdout.write(_("Hot issues: %(count)d requests placed.") % {"count": placed})
    if IssueOfMonth.objects.exists():
        return placed
    last_month = (timezone.localdate(clock.now()).replace(day=1) - timedelta(days=1)).replace(day=1)
    actors = DemoActors(people)
    for issue in HotIssue.objects.filter(
        month=last_month, unit__kind__in=STREET_KINDS, case_count__gte=2
    ).order_by("-rank")[:5]:
        supervisors = actors.all(issue.unit.code, Role.STREET_SUPERVISOR)
        if supervisors:
            issue_of_month_adopt(
                actor=supervisors[0],
                issue=issue,
                note=_("Walk the site with the residents who reported it and fix it this month."),
            )
            break
    return placed
