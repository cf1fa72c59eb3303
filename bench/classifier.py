"""Case classification speed: one request at a time, as intake and the prediction job call it.

    .venv/bin/python bench/classifier.py [--repeats 3] [--limit 1000] [--longest 10] [--json FILE]

Trains the classifier (jiceng.insight.classifier, the configuration in use) on the 921 labelled
messages of ../shared/data, then classifies the first `--limit` of the 2,801 unlabelled messages
of the same folder one at a time (`TextClassifier.top(text, 3)`: segmentation, features,
calibrated SVMs, the three best categories), `--repeats` times, and reports per-request latency
(median, p90, p99, max), predictions per second, and the CPU time per request (mean, p99, max;
this thread's: the other jobs of a shared machine do not inflate it). Then the `--longest`
longest messages of the unlabelled file, 10 × `--repeats` times each, the same way.

Two baselines are measured in the same process on the same texts, alternately: the same
classifier reading whole descriptions (`Config(title_chars=None, body_chars=None)`, as before
descriptions were bounded) and a plain character 1–3-gram TF-IDF + LinearSVC (the issue's
reference model, `predict` of one text). Training time is reported but is not the point.

Skips (exit status 0, with a message) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import SHARED_DATA as SHARED  # noqa: E402  (after the path is set)


def _read(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=1000, help="unlabelled messages to classify")
    parser.add_argument("--longest", type=int, default=10, help="longest messages, timed apart")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (SHARED / "messages-labelled-921.csv").exists():
        print(f"skipped: {SHARED} is absent (the shared data folder)")
        return 0

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from jiceng.core.text import words
    from jiceng.insight.classifier import Config, Text, TextClassifier

    words("预热")  # jieba's dictionary is built once per process, before any timing
    labelled = _read("messages-labelled-921.csv")
    texts = [Text(r["title"], r["body"]) for r in labelled]
    labels = [r["category"] for r in labelled]
    every = [Text(r["title"], r["body"]) for r in _read("messages-unlabelled-2801.csv")]
    queries = every[: args.limit]
    longest = sorted(every, key=lambda t: len(t.title) + len(t.body))[-args.longest :]

    started = time.perf_counter()
    classifier = TextClassifier().fit(texts, labels)
    train_seconds = time.perf_counter() - started
    whole = TextClassifier(Config(title_chars=None, body_chars=None)).fit(texts, labels)
    baseline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC()).fit(
        [f"{t.title} {t.body}" for t in texts], labels
    )

    def timed(texts: list[Text], rounds: int) -> dict[str, tuple[list[float], list[float]]]:
        """Wall-clock and CPU seconds per request of each model, alternating text by text."""
        models = {
            "classifier": lambda t: classifier.top(t, 3),
            "whole_text": lambda t: whole.top(t, 3),
            "baseline_char_svm": lambda t: baseline.predict([f"{t.title} {t.body}"]),
        }
        times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in models}
        order = list(models.items())
        for _round in range(rounds):
            for i, text in enumerate(texts):
                # Whoever runs second on a text finds it warm in the CPU caches: take turns.
                for name, run in order[i % 3 :] + order[: i % 3]:
                    begin, begin_cpu = time.perf_counter(), time.thread_time()
                    run(text)
                    times[name][0].append(time.perf_counter() - begin)
                    times[name][1].append(time.thread_time() - begin_cpu)
        return times

    typical = timed(queries, args.repeats)
    long_ones = timed(longest, 10 * args.repeats)

    def summary(times: list[float], cpu: list[float]) -> dict[str, float]:
        return {
            # CPU time of this thread: what one request costs, whatever the neighbours do.
            "cpu_mean_ms": round(statistics.fmean(cpu) * 1000, 3),
            "cpu_p50_ms": round(statistics.median(cpu) * 1000, 3),
            "cpu_p99_ms": round(_percentile(cpu, 0.99) * 1000, 3),
            "cpu_max_ms": round(max(cpu) * 1000, 3),
            "p50_ms": round(statistics.median(times) * 1000, 3),
            "p90_ms": round(_percentile(times, 0.90) * 1000, 3),
            "p99_ms": round(_percentile(times, 0.99) * 1000, 3),
            "max_ms": round(max(times) * 1000, 3),
            "predictions_per_second": round(len(times) / sum(times), 1),
        }

    def block(times: dict[str, tuple[list[float], list[float]]]) -> dict[str, Any]:
        out: dict[str, Any] = {name: summary(*pair) for name, pair in times.items()}
        for name in ("whole_text", "baseline_char_svm"):
            for figure in ("p50_ms", "cpu_mean_ms"):
                out[f"{figure[:-3]}_ratio_to_{name}"] = round(
                    out["classifier"][figure] / out[name][figure], 2
                )
        return out

    result: dict[str, Any] = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "train_messages": len(texts),
        "train_seconds": round(train_seconds, 2),
        "body_chars": classifier.config.body_chars,
        "requests": len(queries),
        "repeats": args.repeats,
        "first_requests": block(typical),
        "longest": {
            "messages": len(longest),
            "characters": [len(t.title) + len(t.body) for t in longest],
            **block(long_ones),
        },
    }
    print(f"trained on {len(texts)} messages in {train_seconds:.1f} s")
    for title, key in (
        (f"first {len(queries)} messages", "first_requests"),
        (f"{len(longest)} longest messages", "longest"),
    ):
        print(title)
        print(
            f"{'':20}{'cpu ms':>8}{'cpu p99':>8}{'cpu max':>8}{'p50 ms':>8}{'p90 ms':>8}"
            f"{'p99 ms':>8}{'max ms':>8}{'per s':>8}"
        )
        for name in ("classifier", "whole_text", "baseline_char_svm"):
            row = result[key][name]
            print(
                f"{name:20}{row['cpu_mean_ms']:8.2f}{row['cpu_p99_ms']:8.2f}{row['cpu_max_ms']:8.2f}"
                f"{row['p50_ms']:8.2f}{row['p90_ms']:8.2f}{row['p99_ms']:8.2f}{row['max_ms']:8.2f}"
                f"{row['predictions_per_second']:8.0f}"
            )
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
