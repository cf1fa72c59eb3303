from __future__ import annotations

import argparse
import unicodedata
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

from jiceng.cases.demo_data import seed_cases
from jiceng.conduct.demo_data import seed_misconduct, seed_supervision
from jiceng.conduct.reply_quality_services import reply_scores_backfill
from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.evaluation.demo_data import seed_evaluation
from jiceng.insight.demo_classifier import seed_classifier
from jiceng.insight.demo_hot import seed_hot_issues
from jiceng.insight.demo_routing import seed_gazetteer
from jiceng.library.demo_data import seed_library
from jiceng.orgs.demo_data import USERNAME_HINT, DemoPeople, seed_units_and_people
from jiceng.orgs.roles import Role
from jiceng.support.demo_data import seed_support
from jiceng.support.demo_venues import seed_venues


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


class Command(OperatorCommand):
    help = gettext_noop(
        "Load the demo data (the fictional 青禾区 with its units and people in every role, "
        "requests over the last 12 months, evaluation rounds, fund ledgers, rosters, care lists "
        "and supervision) and print the demo accounts. "
        "Running it again creates nothing and prints the accounts again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=3000,
            metavar="N",
            help=_("How many demo requests to create (default 3000; 0 to skip them)."),
        )
        parser.add_argument(
            "--evaluation",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_(
                "Create the demo evaluation rounds: a published one for the last half-year and "
                "a draft for the current one (default; --no-evaluation skips them)."
            ),
        )
        parser.add_argument(
            "--support",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_(
                "Create the demo guarantees: venues with check-ins, activities and spot checks, "
                "fund ledgers, staff rosters, equipment, care lists, supervision visits and "
                "rectification items, and misconduct reports in every state (default; "
                "--no-support skips them)."
            ),
        )
        parser.add_argument(
            "--library",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_("Create the demo experience library (default; --no-library skips it)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cases = options["cases"]
        if cases < 0:
            raise CommandError(_("The number of demo requests cannot be negative."))
        try:
            with transaction.atomic():
                people = seed_units_and_people(self.stdout)
                seed_gazetteer(people, self.stdout)  # before the cases: intake routes by it
                if cases:
                    seed_cases(people, self.stdout, count=cases)
                    seed_classifier(people, self.stdout)
                    seed_hot_issues(people, self.stdout)  # after the classifier's new requests
                    # Scored here, in order and without notifying anyone, rather than by the
                    # background jobs each resolution queued (they will find the scores).
                    scored, perfunctory = reply_scores_backfill(actor=SYSTEM)
                    self.stdout.write(
                        ngettext(
                            "Scored %(scored)d resolution reply; %(perfunctory)d perfunctory.",
                            "Scored %(scored)d resolution replies; %(perfunctory)d perfunctory.",
                            scored,
                        )
                        % {"scored": scored, "perfunctory": perfunctory}
                    )
                if options["evaluation"]:
                    seed_evaluation(people, self.stdout)
                if options["support"]:
                    seed_support(people, self.stdout)
                    seed_supervision(people, self.stdout)
                    seed_misconduct(people, self.stdout)
                    seed_venues(people, self.stdout)
                if options["library"]:
                    seed_library(self.stdout)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self._print_accounts(people)

    def _print_accounts(self, people: DemoPeople) -> None:
        rows = [
            [
                pgettext("demo accounts", "Role"),
                pgettext("demo accounts", "Unit"),
                pgettext("demo accounts", "User name"),
                pgettext("demo accounts", "Mobile number"),
                pgettext("demo accounts", "Password"),
            ]
        ]
        for account in people.headline:
            rows.append(
                [
                    str(Role(account.role).label),
                    account.unit.name,
                    account.user.username,
                    account.user.phone or "-",
                    people.password,
                ]
            )
        self.stdout.write("")
        self.stdout.write(
            _("Demo accounts: sign in at %(url)s with the user name or the mobile number.")
            % {"url": reverse("login")}
        )
        for line in _table(rows):
            self.stdout.write(f"  {line}")
        self.stdout.write(
            _("All %(count)d demo accounts use the password %(password)s. The others are named:")
            % {"count": len(people.users), "password": people.password}
        )
        self.stdout.write(f"  {USERNAME_HINT}")
        self.stdout.write(
            _("Sign in as sysadmin or district and open People (%(url)s) to see them all.")
            % {"url": reverse("user_list")}
        )
