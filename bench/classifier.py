"""Case classification speed: one request at a time, as intake and the prediction job call it.

    .venv/bin/python bench/classifier.py [--repeats 3] [--limit 1000] [--json FILE]

Trains the classifier (jiceng.insight.classifier, the configuration in use) on the 921 labelled
messages of ../shared/data, then classifies the 2,801 unlabelled messages of the same folder
one at a time (`TextClassifier.top(text, 3)`: segmentation, features, calibrated SVMs, the three
best categories), `--repeats` times, and reports per-request latency (median, p90, p99, max),
predictions per second, and the mean CPU time per request (this thread's: the other jobs of a
shared machine do not inflate it). The baseline, measured in the same process on the same texts
alternately, is a plain character 1–3-gram TF-IDF + LinearSVC (the issue's reference model,
`predict` of one text). Training time is reported but is not the point.

Skips (exit status 0, with a message) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# ../shared/data beside the project; JICENG_SHARED_DATA names another place (a worktree).
SHARED = Path(os.environ.get("JICENG_SHARED_DATA") or REPO / ".." / "shared" / "data")


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
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not (SHARED / "messages-labelled-921.csv").exists():
        print(f"skipped: {SHARED} is absent (the shared data folder)")
        return 0

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from jiceng.core.text import words
    from jiceng.insight.classifier import Text, TextClassifier

    words("预热")  # jieba's dictionary is built once per process, before any timing
    labelled = _read("messages-labelled-921.csv")
    texts = [Text(r["title"], r["body"]) for r in labelled]
    labels = [r["category"] for r in labelled]
    queries = [Text(r["title"], r["body"]) for r in _read("messages-unlabelled-2801.csv")]
    queries = queries[: args.limit]

    started = time.perf_counter()
    classifier = TextClassifier().fit(texts, labels)
    train_seconds = time.perf_counter() - started
    baseline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC()).fit(
        [f"{t.title} {t.body}" for t in texts], labels
    )

    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    for _round in range(args.repeats):
        for text in queries:
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            classifier.top(text, 3)
            ours.append(time.perf_counter() - begin)
            ours_cpu.append(time.thread_time() - begin_cpu)
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            baseline.predict([f"{text.title} {text.body}"])
            theirs.append(time.perf_counter() - begin)
            theirs_cpu.append(time.thread_time() - begin_cpu)

    def summary(times: list[float], cpu: list[float]) -> dict[str, float]:
        return {
            # CPU time of this thread: what one request costs, whatever the neighbours do.
            "cpu_mean_ms": round(statistics.fmean(cpu) * 1000, 3),
            "p50_ms": round(statistics.median(times) * 1000, 3),
            "p90_ms": round(_percentile(times, 0.90) * 1000, 3),
            "p99_ms": round(_percentile(times, 0.99) * 1000, 3),
            "max_ms": round(max(times) * 1000, 3),
            "predictions_per_second": round(len(times) / sum(times), 1),
        }

    result = {
        "machine": f"{platform.machine()} {platform.python_version()}",
        "train_messages": len(texts),
        "train_seconds": round(train_seconds, 2),
        "requests": len(queries),
        "repeats": args.repeats,
        "classifier": summary(ours, ours_cpu),
        "baseline_char_svm": summary(theirs, theirs_cpu),
    }
    result["p50_ratio_to_baseline"] = round(
        result["classifier"]["p50_ms"] / result["baseline_char_svm"]["p50_ms"], 2
    )
    print(f"trained on {len(texts)} messages in {train_seconds:.1f} s")
    print(f"{'':20}{'cpu ms':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}{'per s':>8}")
    for name in ("classifier", "baseline_char_svm"):
        row = result[name]
        print(
            f"{name:20}{row['cpu_mean_ms']:8.2f}{row['p50_ms']:8.2f}{row['p90_ms']:8.2f}"
            f"{row['p99_ms']:8.2f}{row['max_ms']:8.2f}{row['predictions_per_second']:8.0f}"
        )
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
