"""Duplicate lookup latency with 1,000,000 cases stored: `bench/duplicates.py`.

    nice -n 10 .venv/bin/python bench/duplicates.py            # --cases 1000000 --lookups 300

What it does:

1. a fresh SQLite database in a temporary directory (production settings, `migrate`), a
   district with 5 streets of 5 communities each;
2. **1,000,000 cases written straight into `cases_case`** with `executemany` (benchmark data,
   not application data: no timeline, audit or notifications), over the last 365 days, 1.6 %
   open (as bench/casegen.py), each with its duplicate index exactly as intake writes it: one
   `DuplicateSignature` and 12 `DuplicateTerm` postings (12,000,000 rows). Texts are residents'
   messages from ../shared/data (unlabelled and labelled files, about 3,700 distinct texts) with
   a varying building number and day, so many cases share their topic words as real ones do;
   each distinct text is segmented once (segmenting a million texts would take most of an
   hour and measures jieba, not the index). The posting index is created after the load;
3. in-process, `duplicates.find_similar` (segmentation of the new text included) for
   `--lookups` texts: half of them texts of stored open cases (a hit), half texts of closed
   ones or unseen messages; wall time with `time.perf_counter`, p50/p95/max;
4. the baseline, in the same process and interleaved: `Case.objects.filter(pk=…).first()`, a
   primary-key read of one case (the cheapest ORM read), and the ratio to it.

Nothing here is used by the application. The temporary directory is deleted at the end
(`--keep` keeps it and prints its path).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import SHARED_DATA as SHARED  # noqa: E402  (after the path is set)

STREETS = 5
COMMUNITIES = 5
OPEN_SHARE = 0.016


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", file=sys.stderr, flush=True)


def texts() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in ("messages-unlabelled-2801.csv", "messages-labelled-921.csv"):
        path = SHARED / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                found += [(row["title"][:100], row["body"][:600]) for row in csv.DictReader(handle)]
    if not found:
        raise SystemExit(f"the shared messages are absent ({SHARED}); nothing to measure")
    return found


def setup_django(directory: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        JICENG_BENCH_DIR=str(directory),
        DATABASE_URL=f"sqlite:///{directory / 'bench.sqlite3'}",
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def build(directory: Path, total: int, seed: int) -> dict[str, object]:
    from django.core.management import call_command

    from jiceng.cases.models import Case, Category
    from jiceng.core.actors import SYSTEM
    from jiceng.insight import duplicates
    from jiceng.orgs import services
    from jiceng.orgs.roles import UnitKind

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    district = services.unit_create_root(actor=SYSTEM, code="B", name="基准区")
    areas = []
    streets = []
    for s in range(STREETS):
        street = services.unit_create(
            actor=SYSTEM, parent=district, code=f"B-{s}", name=f"街道{s}", kind=UnitKind.STREET
        )
        streets.append(street)
        for c in range(COMMUNITIES):
            areas.append(
                services.unit_create(
                    actor=SYSTEM,
                    parent=street,
                    code=f"B-{s}-{c}",
                    name=f"社区{s}{c}",
                    kind=UnitKind.COMMUNITY,
                )
            )
    category = Category.objects.filter(parent__isnull=False).first()
    assert category is not None
    pool = texts()
    log(f"segmenting {len(pool)} distinct texts once")
    terms = [duplicates.text_terms(title, body) for title, body in pool]
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    path = directory / "bench.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("DROP INDEX IF EXISTS duplicate_term_idx")
    connection.execute("DROP INDEX IF EXISTS duplicate_term_case_idx")
    columns = (
        "id, tracking_code, category_id, priority, title, description, address, area_id, "
        "area_path, channel, external_id, is_anonymous, reporter_name, reporter_phone, "
        "reporter_email, reporter_language, status, close_reason, current_unit_id, current_path, "
        "submitted_at, "
        "respond_by, resolve_by, transfer_count, reopen_count, escalation_count, updated_at"
    )
    case_sql = f"INSERT INTO cases_case ({columns}) VALUES ({', '.join('?' * 27)})"  # noqa: S608 (fixed column names, no input)
    signature_sql = (
        "INSERT INTO insight_duplicatesignature (case_id, street_id, day, terms) VALUES (?,?,?,?)"
    )
    term_sql = "INSERT INTO insight_duplicateterm (street_id, term, day, case_id) VALUES (?,?,?,?)"
    open_cases: list[tuple[int, int, int]] = []
    closed_cases: list[tuple[int, int, int]] = []
    batch = 20_000
    t0 = time.perf_counter()
    for first in range(1, total + 1, batch):
        cases, signatures, postings = [], [], []
        for pk in range(first, min(first + batch, total + 1)):
            # Submission times growing with the id, busier towards the present.
            moment = start + timedelta(seconds=365 * 86400 * ((pk / total) ** 0.9))
            area = areas[rng.randrange(len(areas))]
            street_id = streets[areas.index(area) // COMMUNITIES].pk
            text = rng.randrange(len(pool))
            recent = (now - moment).days < 30
            is_open = rng.random() < (OPEN_SHARE * 8 if recent else OPEN_SHARE * 0.6)
            status = "in_progress" if is_open else "closed"
            (open_cases if is_open else closed_cases).append((pk, text, street_id))
            title, body = pool[text]
            stamp = moment.isoformat(sep=" ")
            cases.append(
                (
                    pk, f"B{pk:011d}", category.pk, "normal", title, body, "", area.pk,
                    area.path, "web", "", False, "", "", "", "", status, "", area.pk, area.path,
                    stamp, stamp, stamp, 0, 0, 0, stamp,
                )
            )  # fmt: skip
            day = duplicates.day_number(moment)
            signatures.append((pk, street_id, day, terms[text].signature_text))
            postings += [(street_id, term, day, pk) for term in terms[text].postings]
        with connection:
            connection.executemany(case_sql, cases)
            connection.executemany(signature_sql, signatures)
            connection.executemany(term_sql, postings)
        if (first // batch) % 10 == 0:
            log(f"{min(first + batch - 1, total):,} cases")
    load_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    connection.execute(
        "CREATE INDEX duplicate_term_idx ON insight_duplicateterm (street_id, term, day, case_id)"
    )
    connection.execute("CREATE INDEX duplicate_term_case_idx ON insight_duplicateterm (case_id)")
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    index_seconds = time.perf_counter() - t0
    assert Case.objects.count() == total
    return {
        "streets": streets,
        "areas": areas,
        "pool": pool,
        "open": open_cases,
        "closed": closed_cases,
        "now": now,
        "load_seconds": load_seconds,
        "index_seconds": index_seconds,
    }


def measure(data: dict[str, object], lookups: int, seed: int) -> dict[str, object]:
    from django.db import connection

    from jiceng.cases.models import Case
    from jiceng.insight import duplicates

    rng = random.Random(seed + 1)
    pool: list[tuple[str, str]] = data["pool"]  # type: ignore[assignment]
    open_cases: list[tuple[int, int, int]] = data["open"]  # type: ignore[assignment]
    closed_cases: list[tuple[int, int, int]] = data["closed"]  # type: ignore[assignment]
    now: datetime = data["now"]  # type: ignore[assignment]
    recent_open = [item for item in open_cases if item[0] > len(open_cases)] or open_cases
    lookup_ms: list[float] = []
    baseline_ms: list[float] = []
    hits = 0
    found_any = 0
    total = Case.objects.count()
    for i in range(lookups + 20):
        if i % 2 == 0:
            pk, text, street_id = rng.choice(recent_open[-5000:])
        else:
            pk, text, street_id = rng.choice(closed_cases)
        title, body = pool[text]
        t0 = time.perf_counter()
        found = duplicates.find_similar(street_id=street_id, title=title, description=body, now=now)
        t1 = time.perf_counter()
        Case.objects.filter(pk=rng.randrange(1, total + 1)).first()
        t2 = time.perf_counter()
        if i < 20:  # warm-up: jieba's dictionary, SQLite's page cache
            continue
        lookup_ms.append((t1 - t0) * 1000)
        baseline_ms.append((t2 - t1) * 1000)
        found_any += bool(found)
        hits += any(candidate.case_id == pk for candidate in found)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT case_id, COUNT(*) FROM insight_duplicateterm "
            "WHERE street_id = 1 AND term IN (1, 2, 3) AND day >= 1 GROUP BY case_id"
        )
        plan = [row[-1] for row in cursor.fetchall()]

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "lookups": len(lookup_ms),
        "lookup_ms": {
            "p50": round(statistics.median(lookup_ms), 2),
            "p95": pct(lookup_ms, 0.95),
            "max": round(max(lookup_ms), 2),
        },
        "baseline_pk_read_ms": {
            "p50": round(statistics.median(baseline_ms), 3),
            "p95": pct(baseline_ms, 0.95),
        },
        "ratio_p50": round(statistics.median(lookup_ms) / statistics.median(baseline_ms), 1),
        "lookups_of_open_cases_finding_them": hits,
        "lookups_with_a_suggestion": found_any,
        "plan": plan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="jiceng-bench-dups-"))
    try:
        setup_django(directory)
        log(f"building {args.cases:,} cases in {directory}")
        data = build(directory, args.cases, args.seed)
        log(f"loaded in {data['load_seconds']:.0f} s, indexed in {data['index_seconds']:.0f} s")
        result = measure(data, args.lookups, args.seed)
        size = (directory / "bench.sqlite3").stat().st_size
        result.update(
            cases=args.cases,
            open_cases=len(data["open"]),  # type: ignore[arg-type]
            load_seconds=round(data["load_seconds"], 1),  # type: ignore[arg-type]
            index_seconds=round(data["index_seconds"], 1),  # type: ignore[arg-type]
            database_mb=round(size / 2**20),
            python=sys.version.split()[0],
            sqlite=sqlite3.sqlite_version,
        )
        import json

        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        if args.keep:
            log(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
