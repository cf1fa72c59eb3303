"""Score the stored resolution replies that have no score of the current method yet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.conduct.reply_quality_services import reply_scores_backfill
from jiceng.core.actors import SYSTEM
from jiceng.core.audit import audit_log
from jiceng.core.commands import OperatorCommand
from jiceng.orgs.models import OrgUnit


class Command(OperatorCommand):
    help = gettext_noop(
        "Score stored resolution replies (oldest first) that lack a score of the current method; "
        "--all rescores every one. No notifications unless --notify."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help=_("rescore every resolution reply"))
        parser.add_argument("--batch", type=int, default=500, help=_("replies read at a time"))
        parser.add_argument(
            "--notify",
            action="store_true",
            help=_("tell supervisors about replies that become perfunctory (off by default)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError(_("--batch must be 1 or more"))
        scored, perfunctory = reply_scores_backfill(
            actor=SYSTEM, rescore=options["all"], batch=options["batch"], notify=options["notify"]
        )
        root = OrgUnit.objects.filter(depth=1).order_by("path").first()
        if scored and root is not None:
            audit_log(
                actor=SYSTEM,
                action="conduct.reply_scores.backfilled",
                target=root,
                data={"scored": scored, "perfunctory": perfunctory, "all": options["all"]},
            )
        self.stdout.write(
            ngettext(
                "Scored %(scored)d resolution reply; %(perfunctory)d perfunctory.",
                "Scored %(scored)d resolution replies; %(perfunctory)d perfunctory.",
                scored,
            )
            % {"scored": scored, "perfunctory": perfunctory}
        )
