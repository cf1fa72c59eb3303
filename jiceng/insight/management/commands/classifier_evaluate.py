"""`manage.py classifier_evaluate --train TRAIN.csv --test TEST.csv`: how well the classifier
does on labelled messages it has never seen. The database is not used.

CSV files have the columns id, title, body, category (others are ignored), UTF-8 with or without
a byte-order mark. The last line printed is one JSON object: macro_f1, accuracy, per_class
(precision, recall, f1, support per category) and predictions_per_second (one request at a time).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.commands import OperatorCommand
from jiceng.insight.classifier import Text, train_and_test

REQUIRED = ("title", "body", "category")


def read_labelled(path: Path) -> list[tuple[Text, str]]:
    rows = []
    for record in _records(path, REQUIRED):
        category = (record.get("category") or "").strip()
        if category:
            rows.append((Text(record.get("title") or "", record.get("body") or ""), category))
    if not rows:
        raise CommandError(_("%(path)s: no labelled rows.") % {"path": path})
    return rows


def read_unlabelled(path: Path) -> list[Text]:
    return [
        Text(record.get("title") or "", record.get("body") or "")
        for record in _records(path, ("title", "body"))
    ]


def _records(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in required if name not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(
                    _("%(path)s: missing columns %(columns)s.")
                    % {"path": path, "columns": ", ".join(missing)}
                )
            return list(reader)
    except OSError as error:
        raise CommandError(
            _("%(path)s: %(reason)s.") % {"path": path, "reason": error.strerror}
        ) from None
    except UnicodeDecodeError:
        raise CommandError(_("%(path)s: not UTF-8 text.") % {"path": path}) from None


class Command(OperatorCommand):
    help = gettext_noop(
        "Train the category classifier on TRAIN.csv, predict TEST.csv and print the scores; the "
        "last line is one JSON object (macro_f1, accuracy, per_class, predictions_per_second)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, type=Path, help=_("Labelled training CSV."))
        parser.add_argument("--test", required=True, type=Path, help=_("Labelled test CSV."))
        parser.add_argument(
            "--unlabelled",
            type=Path,
            help=_(
                "Optional CSV of unlabelled messages (title, body) for semi-supervised training."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        train = read_labelled(options["train"])
        test = read_labelled(options["test"])
        unlabelled = read_unlabelled(options["unlabelled"]) if options["unlabelled"] else []
        if len({label for _text, label in train}) < 2:
            raise CommandError(_("The training file needs at least two categories."))
        try:
            result = train_and_test(train, test, unlabelled=unlabelled)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "Trained on %(train)d messages, tested on %(test)d: macro-F1 %(macro_f1)s, "
                "accuracy %(accuracy)s"
            )
            % {
                "train": len(train),
                "test": len(test),
                "macro_f1": result["macro_f1"],
                "accuracy": result["accuracy"],
            }
        )
        # The last line, for scripts: JSON, never translated.
        self.stdout.write(json.dumps(result, ensure_ascii=False))
