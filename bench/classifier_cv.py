"""Cross-validated quality of the case classifier on the 921 labelled messages of ../shared/data.

    nice -n 10 .venv/bin/python bench/classifier_cv.py [--folds 5] [--seed 0] [--only NAME,...]
                                                         [--unlabelled] [--json FILE]

Stratified k-fold, shuffled (`--seed` picks the split): each fold is predicted by a classifier
trained on the other folds only; macro-F1 and accuracy are reported as mean ± standard
deviation over the folds, with coverage and accuracy at confidence thresholds. Each named
configuration is a `jiceng.insight.classifier.Config`, trained as in production (calibrated
linear SVMs); "char13-plain" is the issue's reference (character 1–3-gram TF-IDF, unweighted
title, no class weights); the "in-use-body…" ones read the first N characters of a description
instead of `Config.body_chars`, "in-use-uncapped" all of it. `--unlabelled` also gives the 2,801
unlabelled messages to training (vocabulary and IDF, and self-training for the configurations
that use it); they are never test data. Skips (exit status 0) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import SHARED_DATA as SHARED  # noqa: E402  (after the path is set)
from jiceng.insight.classifier import Config  # noqa: E402  (after the path is set)


def _read(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def configurations() -> dict[str, Config]:
    return {
        "char13-plain": Config(
            title_weight=1, use_words=False, char_ngrams=(1, 3), c=1.0, balanced=False
        ),
        "char13-title2-balanced": Config(use_words=False, char_ngrams=(1, 3), title_weight=2),
        "char12-title2-balanced": Config(use_words=False, c=0.5),
        "in-use": Config(),
        # How much of a description is read (in use: Config.body_chars characters).
        "in-use-uncapped": Config(title_chars=None, body_chars=None),
        "in-use-body200": Config(body_chars=200),
        "in-use-body500": Config(body_chars=500),
        "in-use-body800": Config(body_chars=800),
        "in-use-body1200": Config(body_chars=1200),
        "in-use+self-training": Config(self_training=0.9),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="of the fold split")
    parser.add_argument("--only", default="", help="comma-separated configuration names")
    parser.add_argument("--unlabelled", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (SHARED / "messages-labelled-921.csv").exists():
        print(f"skipped: {SHARED} is absent (the shared data folder)")
        return 0
    from dataclasses import asdict

    from jiceng.insight.classifier import Text, cross_validate

    rows = [
        (Text(r["title"], r["body"]), r["category"]) for r in _read("messages-labelled-921.csv")
    ]
    unlabelled = (
        [Text(r["title"], r["body"]) for r in _read("messages-unlabelled-2801.csv")]
        if args.unlabelled
        else []
    )
    wanted = {name for name in args.only.split(",") if name}
    results = {}
    for name, config in configurations().items():
        if wanted and name not in wanted:
            continue
        started = time.perf_counter()
        result = cross_validate(
            rows, config=config, folds=args.folds, unlabelled=unlabelled, seed=args.seed
        )
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["config"] = asdict(config)
        results[name] = result
        print(
            f"{name:32} macro-F1 {result['macro_f1_mean']:.4f} ± {result['macro_f1_sd']:.4f}  "
            f"accuracy {result['accuracy_mean']:.4f} ± {result['accuracy_sd']:.4f}  "
            f"({result['seconds']} s)",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
