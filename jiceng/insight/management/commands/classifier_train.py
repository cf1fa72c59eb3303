"""`manage.py classifier_train`: train a new classifier version on this deployment's requests."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.insight.classifier_services import classifier_train


class Command(OperatorCommand):
    help = gettext_noop(
        "Train the category classifier on the categories of stored requests and staff "
        "corrections, store the model file with its metrics and (unless --no-activate) use it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help=_("Store the new version without putting it in use."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = classifier_train(actor=SYSTEM, activate=not options["no_activate"])
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        metrics = {key: model.metrics.get(key) for key in ("macro_f1", "accuracy", "train", "test")}
        values = {"version": model.version, "count": model.sample_count, "path": model.path}
        if model.active:
            summary = _("Version %(version)s trained on %(count)d requests and in use: %(path)s")
        else:
            summary = _("Version %(version)s trained on %(count)d requests: %(path)s")
        self.stdout.write(summary % values)
        # The last line, for scripts: JSON, never translated.
        self.stdout.write(json.dumps({"version": model.version, **metrics}, ensure_ascii=False))
