"""`manage.py classifier_train`: train a new classifier version on this deployment's requests."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError
from jiceng.insight.classifier_services import classifier_train


class Command(BaseCommand):
    help = (
        "Train the category classifier on the categories of stored requests and staff "
        "corrections, store the model file with its metrics and (unless --no-activate) use it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-activate",
            action="store_true",
            help="Store the new version without putting it in use.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = classifier_train(actor=SYSTEM, activate=not options["no_activate"])
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        metrics = {key: model.metrics.get(key) for key in ("macro_f1", "accuracy", "train", "test")}
        self.stdout.write(
            f"Version {model.version} trained on {model.sample_count} requests"
            f"{' and in use' if model.active else ''}: {model.path}"
        )
        self.stdout.write(json.dumps({"version": model.version, **metrics}, ensure_ascii=False))
