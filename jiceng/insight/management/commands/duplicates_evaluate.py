"""Precision and recall of duplicate detection on a CSV of messages with reposts (JSON out).

The truth: two messages are the same problem when their normalised title and body are equal
(reposts; the shared votes file has them); the "loose" truth adds pairs with the same title or
the same body (a repost edited on one side). Each message, in time order, is looked up among the
earlier ones with the same index and similarity as intake (`duplicates.text_terms`,
`candidate_ids` logic, `similarity`) inside the time window; every earlier message scoring at
least the threshold is a predicted pair. Precision = true predicted pairs / predicted pairs,
recall = true predicted pairs / true pairs (within the window). The index is built in memory
(no database needed), with one street for the whole file: the messages carry no area.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.commands import OperatorCommand
from jiceng.core.text import normalise
from jiceng.insight import duplicates


def _time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y/%m/%d %H:%M:%S")


def evaluate(
    rows: list[dict[str, str]], *, thresholds: list[float], window_days: int
) -> dict[str, Any]:
    messages = []
    for row in rows:
        try:
            moment = _time(row["time"])
        except (KeyError, ValueError):
            continue
        key = (normalise(row.get("title", "")), normalise(row.get("body", "")))
        messages.append((moment, row.get("id", ""), key, row.get("title", ""), row.get("body", "")))
    messages.sort(key=lambda m: (m[0], m[1]))
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, message in enumerate(messages):
        groups[message[2]].append(index)
    true_pairs = {
        pair
        for members in groups.values()
        for pair in combinations(members, 2)
        if abs((messages[pair[1]][0] - messages[pair[0]][0]).days) <= window_days
    }
    # Looser truth: the same title or the same body (reposts edited on one side).
    loose_groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, message in enumerate(messages):
        for side in (0, 1):
            if len(message[2][side]) >= 8:
                loose_groups[(side, message[2][side])].append(index)
    loose_pairs = true_pairs | {
        pair
        for members in loose_groups.values()
        for pair in combinations(members, 2)
        if abs((messages[pair[1]][0] - messages[pair[0]][0]).days) <= window_days
    }
    postings: dict[int, list[int]] = defaultdict(list)
    signatures: list[frozenset[int]] = []
    scored: list[tuple[int, int, float]] = []
    for index, (moment, _id, _key, title, body) in enumerate(messages):
        query = duplicates.text_terms(title, body, postings=duplicates.QUERY_TERMS)
        shared: dict[int, int] = defaultdict(int)
        for term in query.postings:
            for other in postings.get(term, ()):
                if (moment - messages[other][0]).days <= window_days:
                    shared[other] += 1
        best = sorted(
            (o for o, n in shared.items() if n >= duplicates.MIN_SHARED),
            key=lambda o: (-shared[o], -o),
        )[: duplicates.CANDIDATES]
        for other in best:
            scored.append((other, index, duplicates.similarity(query.signature, signatures[other])))
        stored = duplicates.text_terms(title, body)
        signatures.append(stored.signature)
        for term in stored.postings:
            postings[term].append(index)
    results = []
    for threshold in thresholds:
        predicted = {(a, b) for a, b, score in scored if score >= threshold}
        hits = len(predicted & true_pairs)
        loose_hits = len(predicted & loose_pairs)
        results.append(
            {
                "threshold": threshold,
                "predicted_pairs": len(predicted),
                "true_positives": hits,
                "precision": round(hits / len(predicted), 4) if predicted else None,
                "recall": round(hits / len(true_pairs), 4) if true_pairs else None,
                "loose_precision": round(loose_hits / len(predicted), 4) if predicted else None,
                "loose_recall": round(loose_hits / len(loose_pairs), 4) if loose_pairs else None,
            }
        )
    return {
        "messages": len(messages),
        "repost_groups": sum(1 for members in groups.values() if len(members) > 1),
        "true_pairs": len(true_pairs),
        "loose_true_pairs": len(loose_pairs),
        "window_days": window_days,
        "results": results,
    }


class Command(OperatorCommand):
    help = gettext_noop(
        "Precision/recall of duplicate detection on a CSV with reposted messages (JSON)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, type=Path, help=_("The CSV file of messages (UTF-8).")
        )
        parser.add_argument(
            "--window-days",
            type=int,
            default=duplicates.WINDOW_DAYS,
            help=_("Days within which two messages can be duplicates (default %(days)d).")
            % {"days": duplicates.WINDOW_DAYS},
        )
        parser.add_argument(
            "--thresholds",
            default=f"0.25,0.3,{duplicates.THRESHOLD},0.5,0.7,0.9",
            help=_("comma-separated similarity thresholds"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["input"]
        try:
            thresholds = [float(part) for part in options["thresholds"].split(",") if part]
        except ValueError:
            raise CommandError(
                _("--thresholds must be numbers separated by commas, such as 0.3,0.5.")
            ) from None
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s.") % {"path": path, "reason": error.strerror}
            ) from None
        except UnicodeDecodeError:
            raise CommandError(_("%(path)s: not UTF-8 text.") % {"path": path}) from None
        result = evaluate(rows, thresholds=thresholds, window_days=options["window_days"])
        result["input"] = path.name
        self.stdout.write(json.dumps(result, ensure_ascii=False))
