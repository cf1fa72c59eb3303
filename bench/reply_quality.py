"""Reply quality over the shared replies file: the whole scoring, and the boilerplate search
with numpy (`reuse_among`) against the same comparison in plain Python (`plain_reuse`, here).

    .venv/bin/python bench/reply_quality.py [--input ../shared/data/messages-with-replies-2816.csv]
                                            [--repeats 3] [--json FILE]

Reads and checks the CSV once (not timed), then, in this process and alternately, `--repeats`
times each:

- `score rows`: `reply_quality_csv.score_rows`, what `manage.py reply_quality` does after
  reading (segmentation, every component, MinHash signatures, reuse against earlier replies);
- `segmentation only`: jieba (search mode) over every request and reply, the floor under any
  word-based relevance;
- `reuse, numpy` and `reuse, plain Python`: the reuse similarity of every reply against all
  replies given before it, from signatures computed beforehand (not timed), with
  `reply_quality.reuse_among` over (n, 64) arrays and with `plain_reuse` (in `main`) over the
  fingerprints. Both must give the same values, or the script fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SHARED_DATA

DEFAULT_INPUT = SHARED_DATA / "messages-with-replies-2816.csv"


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.input.exists():
        sys.exit(f"{args.input} is absent (the shared data folder)")

    from jiceng.conduct import reply_quality as rq
    from jiceng.conduct.reply_quality_csv import read_rows, score_rows
    from jiceng.core.text import search_words

    rows = read_rows(args.input)
    items = [row.item for row in rows]
    order = sorted(range(len(items)), key=lambda i: (items[i].replied_at, i))
    prints = [
        rq.fingerprint(title=items[i].title, body=items[i].body, reply=items[i].reply)
        for i in order
    ]
    search_words("预热")  # jieba's dictionary loads once per process; not timed

    def segmentation() -> None:
        for item in items:
            search_words(f"{item.title} {item.body}")
            search_words(item.reply)

    replies = np.array([fp.reply for fp in prints], dtype=np.int64)
    requests = np.array([fp.request for fp in prints], dtype=np.int64)

    def with_numpy() -> list[float]:
        return [
            rq.reuse_among(fp, replies[:position], requests[:position])
            for position, fp in enumerate(prints)
        ]

    def plain_reuse(fp: rq.Fingerprint, previous: Sequence[rq.Fingerprint]) -> float:
        """`reuse_among` one earlier fingerprint at a time, in plain Python: the baseline."""

        def similarity(a: rq.Signature, b: rq.Signature) -> float:
            return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)

        best = 0.0
        for other in previous:
            if similarity(fp.request, other.request) >= rq.RELATED_FROM:
                continue
            best = max(best, similarity(fp.reply, other.reply))
        return best

    def plain() -> list[float]:
        return [plain_reuse(fp, prints[:position]) for position, fp in enumerate(prints)]

    if with_numpy() != plain():
        sys.exit("numpy and plain Python disagree")

    runs: dict[str, list[float]] = {
        "score rows": [],
        "segmentation only": [],
        "reuse, numpy": [],
        "reuse, plain Python": [],
    }
    for _ in range(args.repeats):
        runs["score rows"].append(timed(lambda: score_rows(rows)))
        runs["segmentation only"].append(timed(segmentation))
        runs["reuse, numpy"].append(timed(with_numpy))
        runs["reuse, plain Python"].append(timed(plain))

    print(f"{len(rows)} replies, {args.repeats} runs each, Python {platform.python_version()}")
    print("| step | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, seconds in runs.items():
        print(
            f"| {name} | {statistics.median(seconds):.2f} | {min(seconds):.2f} |"
            f" {max(seconds):.2f} |"
        )
    ratio = statistics.median(runs["reuse, plain Python"]) / statistics.median(runs["reuse, numpy"])
    print(f"reuse with numpy {ratio:.1f}x faster than plain Python")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    main()
