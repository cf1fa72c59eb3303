"""Staff list pages over a million cases: latency at 8 concurrent clients, and query plans.

    .venv/bin/python bench/lists.py [--cases 1000000] [--duration 8] [--repeats 3]
                                    [--connections 8] [--analyze] [--json FILE]
                                    [--keep] [--reuse DIR] [--no-load] [--pages TEXT]

`--keep` keeps the temporary deployment; `--reuse DIR` measures such a kept deployment again
(it runs `migrate` on it first, so new migrations apply, and makes no cases); `--no-load` stops
after the in-process profiles (no gunicorn, no wrk).

On a fresh SQLite database in a temporary directory (demo units and people) it writes
`--cases` cases with `Case.objects.bulk_create` in batches of 10,000 (benchmark data, not
application data: see bench/casegen.py for what is and is not realistic about it), then

1. opens every page once in-process with Django's test client as the right user, captures its
   SQL (CaptureQueriesContext) and runs EXPLAIN QUERY PLAN on each statement that reads
   cases_case, flagging full scans of the table or of an index;
2. serves the project as `bin/serve` does (gunicorn `config.wsgi:application`, 2 workers, access
   log on; without the huey consumer, whose periodic escalation job would otherwise start writing
   to the benchmark data) and loads each page with wrk (2 threads, `--connections`, a signed-in
   session cookie), repeating each measurement; tables show medians and the ratio to /healthz.

The pages: the worklist of a community secretary (`secretary`), the unit queue of a street
supervisor (`street`) and of the district administrator (`district`, all cases), page 1 and a
deep page, filtered queues, and the rate dashboard where the URL is mounted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    SERVER_VARIANTS,
    Deployment,
    Summary,
    free_port,
    http_get,
    log,
    machine,
    make_deployment,
    markdown_table,
    prepare,
    run_wrk,
    settle,
    start_server,
    time_limit,
    write_json,
)

if TYPE_CHECKING:
    from bench.casegen import Generator

BATCH = 10_000
SEED = 20260101
DEEP_PAGE = 200
TARGET_P95_MS = 150
USERS = {"secretary": "secretary", "street": "street", "district": "district"}


@dataclass
class PageSpec:
    name: str
    user: str  # "" for no session
    path: str


@dataclass
class Plan:
    sql: str
    ms: float
    plan: list[str]

    @property
    def flags(self) -> list[str]:
        found = []
        for line in self.plan:
            if re.search(r"SCAN cases_case(?! USING)", line):
                found.append("FULL TABLE SCAN")
            elif re.search(r"SCAN cases_case USING (COVERING )?INDEX", line):
                found.append("index scan, not a range")
            if "TEMP B-TREE" in line:
                found.append("sort of all matching rows")
        return found


@dataclass
class PageProfile:
    spec: PageSpec
    status: int
    queries: int
    wall_ms: float
    heavy: bool
    plans: list[Plan] = field(default_factory=list)


# --- data -----------------------------------------------------------------------------------
def _generator(now: datetime, *, worker: int, workers: int) -> Generator:
    from bench.casegen import TRACKING_ALPHABET, Cat, Generator, Unit
    from jiceng.cases.selectors import leaf_categories
    from jiceng.core.calendar import get_calendar
    from jiceng.orgs.models import OrgUnit

    calendar = get_calendar()
    units = [
        Unit(u.pk, u.path, u.depth, u.kind, u.name, u.population)
        for u in OrgUnit.objects.order_by("path")
    ]
    categories = [
        Cat(c.pk, c.code, c.name, c.responsible_level, c.respond_hours, c.resolve_days)
        for c in leaf_categories()
    ]
    return Generator(
        units=units,
        categories=categories,
        now=now,
        respond_by=calendar.add_working_hours,
        resolve_by=calendar.add_working_days,
        seed=SEED + worker,
        # Each worker's tracking codes start with different letters, so they never collide.
        first_letters=TRACKING_ALPHABET[worker::workers],
    )


def _fill_part(worker: int, workers: int, count: int, path: str, now: datetime) -> int:
    """In a worker process: `count` cases into the copy of the database at `path`."""
    from django.db import connection, transaction

    from jiceng.cases.models import Case

    connection.close()
    connection.settings_dict["NAME"] = path
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
        # The copy only carries rows to the real table: it needs no secondary indexes.
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'cases_case' AND sql IS NOT NULL"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    generator = _generator(now, worker=worker, workers=workers)
    made = 0
    started = time.monotonic()
    for batch in generator.batches(Case, count, BATCH):
        with transaction.atomic():
            Case.objects.bulk_create(batch)
        made += len(batch)
        if made % 100_000 == 0 or made == count:
            rate = made / (time.monotonic() - started)
            log(f"worker {worker}: {made:,} of {count:,} cases ({rate:,.0f} a second)")
    connection.close()
    return made


def generate(deployment: Deployment, total: int, workers: int) -> None:
    """`total` cases made with `bulk_create`, 10,000 a transaction, by `workers` processes.

    SQLite has one writer at a time, and Django holds the write lock while it prepares a
    batch, so the workers write into copies of the database; one INSERT … SELECT then moves
    the rows into the real table in submission order (ids grow with submission time, as they
    do in production), where SQLite maintains the indexes.
    """
    import multiprocessing

    from django.db import connections
    from django.utils import timezone

    connections.close_all()
    with contextlib.closing(sqlite3.connect(deployment.database)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone is the whole database
    shares = [total // workers + (1 if i < total % workers else 0) for i in range(workers)]
    parts = [deployment.root / f"part-{i}.sqlite3" for i in range(workers)]
    for part in parts:
        shutil.copyfile(deployment.database, part)
    now = timezone.localtime()
    started = time.monotonic()
    tasks = [(i, workers, shares[i], str(parts[i]), now) for i in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        made = sum(pool.starmap(_fill_part, tasks))
    log(f"{made:,} cases made in {time.monotonic() - started:.0f} s; copying them into the table")
    merged = time.monotonic()
    with contextlib.closing(sqlite3.connect(deployment.database, isolation_level=None)) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-400000")
        columns = ", ".join(
            f'"{row[1]}"' for row in db.execute("PRAGMA table_info(cases_case)") if row[1] != "id"
        )
        for i, part in enumerate(parts):
            db.execute(f"ATTACH DATABASE ? AS part{i}", (str(part),))
        union = " UNION ALL ".join(
            f"SELECT {columns} FROM part{i}.cases_case"  # noqa: S608
            for i in range(len(parts))
        )
        db.execute("BEGIN")
        db.execute(
            f"INSERT INTO cases_case ({columns}) SELECT {columns} FROM ({union}) "  # noqa: S608
            "ORDER BY submitted_at"
        )
        db.execute("COMMIT")
        for i in range(len(parts)):
            db.execute(f"DETACH DATABASE part{i}")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for part in parts:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{part}{suffix}").unlink(missing_ok=True)
    log(
        f"{total:,} cases in {time.monotonic() - started:.0f} s "
        f"(copy and indexes {time.monotonic() - merged:.0f} s)"
    )


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    from jiceng.cases.models import Case

    rows = Case.objects.values("status").annotate(n=Count("pk")).order_by("-n")
    return {row["status"]: row["n"] for row in rows}


# --- pages ----------------------------------------------------------------------------------
def page_specs() -> list[PageSpec]:
    """The pages to measure, with tracking codes of real cases for the search."""
    from django.urls import NoReverseMatch, reverse

    from jiceng.cases.models import Case
    from jiceng.orgs.models import User

    district_code = Case.objects.order_by("pk").values_list("tracking_code", flat=True)[
        Case.objects.count() // 2
    ]
    membership = User.objects.get(username=USERS["street"]).memberships.first()
    assert membership is not None, "the demo's street supervisor has a membership"
    street = membership.unit
    street_code = (
        Case.objects.filter(current_path__startswith=street.path)
        .order_by("-pk")
        .values_list("tracking_code", flat=True)
        .first()
    )
    queue = reverse("case_queue")

    def deep(path: str) -> str:
        """Page DEEP_PAGE as "Next" links reach it: after the last row of the page before."""
        from jiceng.core.pagination import encode_cursor

        before = (
            Case.objects.filter(current_path__startswith=path)
            .order_by("-submitted_at", "-pk")
            .values_list("submitted_at", "pk")[(DEEP_PAGE - 1) * 25 - 1]
        )
        return f"{queue}?page={DEEP_PAGE}&after={encode_cursor(*before)}"

    district = User.objects.get(username=USERS["district"]).memberships.first()
    assert district is not None
    specs = [
        PageSpec("healthz", "", "/healthz"),
        PageSpec("worklist · secretary", "secretary", reverse("case_worklist")),
        PageSpec("queue · street", "street", queue),
        PageSpec(f"queue · street · page {DEEP_PAGE}", "street", deep(street.path)),
        PageSpec("queue · street · q=code", "street", f"{queue}?q={street_code}"),
        PageSpec("queue · district", "district", queue),
        PageSpec(f"queue · district · page {DEEP_PAGE}", "district", deep(district.unit.path)),
        PageSpec(
            f"queue · district · page {DEEP_PAGE} by offset",
            "district",
            f"{queue}?page={DEEP_PAGE}",
        ),
        PageSpec("queue · district · overdue", "district", f"{queue}?overdue=on"),
        PageSpec("queue · district · submitted", "district", f"{queue}?status=submitted"),
        PageSpec("queue · district · q=code", "district", f"{queue}?q={district_code}"),
        # Words, not a code: the last 90 days' titles and addresses (a common word, and one
        # that matches nothing, which reads all of those days).
        PageSpec("queue · district · q=words", "district", f"{queue}?q={quote('消防通道')}"),
        PageSpec("queue · street · q=no match", "street", f"{queue}?q={quote('无此词语')}"),
    ]
    try:
        dashboard = reverse("case_dashboard")
    except NoReverseMatch:
        log("the dashboard URL is not mounted: skipped")
    else:
        specs += [
            PageSpec("dashboard · street", "street", dashboard),
            PageSpec("dashboard · district", "district", dashboard),
        ]
    return specs


def sessions() -> dict[str, str]:
    """A signed-in session per user, made the way a login makes it (Client.force_login)."""
    from django.conf import settings
    from django.test import Client

    from jiceng.orgs.models import User

    cookies = {}
    for key, username in USERS.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        cookies[key] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return cookies


def profile_pages(
    specs: list[PageSpec], cookies: dict[str, str], *, heavy_seconds: float
) -> list[PageProfile]:
    """Each page in-process: status, statements, wall time (median of 3, or of 1 when the first
    takes longer than `heavy_seconds`), plans of the statements that read cases."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    profiles = []
    for spec in specs:
        client = Client(HTTP_HOST="127.0.0.1")
        if spec.user:
            client.cookies[settings.SESSION_COOKIE_NAME] = cookies[spec.user]
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as context:
            response = client.get(spec.path)
        times = [(time.perf_counter() - started) * 1000]
        captured = list(context.captured_queries)  # the next request empties the log
        heavy = times[0] > heavy_seconds * 1000
        for _ in range(0 if heavy else 3):
            started = time.perf_counter()
            client.get(spec.path)
            times.append((time.perf_counter() - started) * 1000)
        plans = []
        for query in captured:
            sql = query["sql"]
            if '"cases_case"' not in sql or not sql.startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                lines = [row[-1] for row in cursor.fetchall()]
                # Django times execute(), but SQLite does most of the work while rows are
                # fetched: run the page queries (they have a LIMIT) again to the last row.
                ms = float(query["time"]) * 1000
                if " LIMIT " in sql:
                    started = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    ms = (time.perf_counter() - started) * 1000
            plans.append(Plan(sql, ms, lines))
        wall = statistics.median(times[1:] or times)
        profile = PageProfile(spec, response.status_code, len(captured), wall, heavy, plans)
        log(
            f"in-process {spec.name}: {profile.status}, {profile.queries} statements, "
            f"{profile.wall_ms:,.0f} ms{' (too slow to load-test)' if heavy else ''}"
        )
        profiles.append(profile)
    return profiles


def print_profiles(profiles: list[PageProfile]) -> None:
    print("\n## Query plans (in-process, one request each)\n")
    rows: list[list[object]] = []
    for p in profiles:
        slowest = max(p.plans, key=lambda plan: plan.ms, default=None)
        flags = sorted({flag for plan in p.plans for flag in plan.flags})
        rows.append(
            [
                p.spec.name,
                p.status,
                p.queries,
                p.wall_ms,
                slowest.ms if slowest else "-",
                ", ".join(flags) or "-",
            ]
        )
    header = ["page", "status", "statements", "wall ms", "slowest case query ms*", "plan flags"]
    print(markdown_table(header, rows))
    print(
        "\n\\* Statements with a LIMIT run again to their last row; others (the dashboard's "
        "streamed reads) show Django's time for execute() only."
    )
    for p in profiles:
        if not p.plans:
            continue
        print(f"\n### {p.spec.name} — `{p.spec.path}`\n")
        for plan in p.plans:
            sql = plan.sql if len(plan.sql) < 1200 else plan.sql[:1200] + " …"
            sql = re.sub(r"^SELECT (.{80,}?) FROM", "SELECT … FROM", sql)
            print(f"- {plan.ms:,.0f} ms: `{sql}`")
            for line in plan.plan:
                print(f"  - `{line}`")


# --- load -----------------------------------------------------------------------------------
@dataclass
class Single:
    """What the production server does with one request to a page too slow to load-test."""

    status: int
    seconds: float
    error: str = ""


def run_load(
    deployment: Deployment,
    profiles: list[PageProfile],
    cookies: dict[str, str],
    *,
    connections: int,
    repeats: int,
    duration: int,
    variant: str = "serve",
) -> tuple[dict[str, Summary], dict[str, Single]]:
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    port = free_port()
    server = start_server(deployment, port, variant)
    results: dict[str, Summary] = {}
    singles: dict[str, Single] = {}
    loaded = [p.spec for p in profiles if not p.heavy]
    try:
        for spec in [p.spec for p in profiles if p.heavy]:
            headers = {"Cookie": f"{name}={cookies[spec.user]}"} if spec.user else {}
            started = time.monotonic()
            try:
                status = http_get(port, spec.path, headers, timeout=120)[0]
                singles[spec.name] = Single(status, time.monotonic() - started)
            except OSError as error:
                singles[spec.name] = Single(0, time.monotonic() - started, type(error).__name__)
            log(f"one request to {spec.name}: {singles[spec.name]}")
            settle(port)
        for spec in loaded:  # every page answers 200 to its user, not a redirect to sign in
            headers = {"Cookie": f"{name}={cookies[spec.user]}"} if spec.user else {}
            status = http_get(port, spec.path, headers)[0]
            if status != 200:
                raise RuntimeError(f"{spec.path} answered {status} to {spec.user or 'anyone'}")
        for repeat in range(1, repeats + 1):
            for spec in loaded:
                cookie = [f"Cookie: {name}={cookies[spec.user]}"] if spec.user else []
                for attempt in (1, 2):
                    if server.popen.poll() is not None:
                        # Stopped from outside (another benchmark on a shared machine): start
                        # it again and measure this run again.
                        log(f"gunicorn exited ({server.popen.returncode}); starting it again")
                        server = start_server(deployment, port, variant)
                    try:
                        result = run_wrk(
                            port,
                            spec.path,
                            connections=connections,
                            duration=duration,
                            headers=cookie,
                            server=server,
                            timeout_s=30,
                        )
                        break
                    except RuntimeError:
                        if attempt == 2 or server.popen.poll() is None:
                            raise
                others = max(result.busy_share - result.server_share - result.wrk_share, 0)
                log(
                    f"run {repeat}/{repeats} {spec.name}: {result.rps:.1f} req/s, "
                    f"p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, "
                    f"p99 {result.p99_ms:.0f} ms, errors "
                    f"{result.status_errors}+{result.socket_errors}, server CPU "
                    f"{result.server_cpu_ms:.0f} ms/req, others {others:.0%} of the machine"
                )
                results.setdefault(spec.name, Summary([])).runs.append(result)
    finally:
        server.stop()
    return results, singles


def print_load(
    profiles: list[PageProfile],
    results: dict[str, Summary],
    singles: dict[str, Single],
    connections: int,
) -> None:
    print(f"\n## Latency at {connections} concurrent clients (gunicorn, 2 workers)\n")
    base = results.get("healthz")
    rows: list[list[object]] = []
    for profile in profiles:
        spec = profile.spec
        s = results.get(spec.name)
        if s is None:
            single = singles[spec.name]
            outcome = f"{single.status or single.error} after {single.seconds:.1f} s"
            rows.append(
                [spec.name, f"`{spec.path}`", "-", "-", "-", "-", "-", "-", "-", outcome, "MISSED"]
            )
            continue
        rows.append(
            [
                spec.name,
                f"`{spec.path}`",
                s.rps,
                f"{s.rps / base.rps:.3f}" if base else "-",
                s.p50,
                s.p95,
                s.p99,
                s.cpu_ms,
                f"{s.server_share:.0%} / {s.wrk_share:.0%} / {s.others_share:.0%}",
                s.errors,
                "-" if spec.user == "" else ("met" if s.p95 <= TARGET_P95_MS else "MISSED"),
            ]
        )
    header = [
        "page",
        "path",
        "req/s",
        "÷ healthz",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "server CPU ms/req",
        "CPU: server / wrk / others",
        "errors",
        f"p95 ≤ {TARGET_P95_MS} ms",
    ]
    print(markdown_table(header, rows))
    if singles:
        print(
            "\nPages whose single in-process request took longer than --heavy-seconds are not "
            "load-tested; the errors column shows what one request to the server got."
        )


def reuse_deployment(root: Path) -> Deployment:
    """A deployment kept by `--keep`, with the environment pointing at its files."""
    root = root.resolve()
    if not (root / "bench.sqlite3").is_file():
        raise SystemExit(f"{root} holds no bench.sqlite3: not a kept deployment")
    fresh = make_deployment()
    fresh.remove()  # only its environment is wanted
    env = {
        **fresh.env,
        "JICENG_BENCH_DIR": str(root),
        "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(root / "media"),
    }
    return Deployment(root=root, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="processes making cases"
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after loading")
    parser.add_argument(
        "--heavy-seconds",
        type=float,
        default=5.0,
        help="pages slower than this in-process get one request instead of a load test",
    )
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary deployment")
    parser.add_argument(
        "--reuse",
        default="",
        metavar="DIR",
        help="measure a deployment kept by --keep again (migrated first; no cases made)",
    )
    parser.add_argument(
        "--no-load", action="store_true", help="in-process profiles only, no load test"
    )
    parser.add_argument(
        "--pages", default="", help="only the pages whose name contains this text (and healthz)"
    )
    parser.add_argument(
        "--server",
        default="serve",
        choices=sorted(SERVER_VARIANTS),
        help="gunicorn's workers: serve (as bin/serve runs them: one request at a time per "
        "process) or threads (bin/serve with WEB_THREADS=8)",
    )
    args = parser.parse_args(argv)

    pages = 16
    making = 0 if args.reuse else args.cases / 4000 + 240
    loading = 0 if args.no_load else pages * args.repeats * (args.duration + 3)
    estimate = making + loading + 120
    log(f"about {estimate / 60:.0f} minutes in all")
    deployment = reuse_deployment(Path(args.reuse)) if args.reuse else make_deployment()
    try:
        with time_limit(int(estimate * 1.6) + 300):
            info = machine()
            if args.reuse:
                log(f"reusing {deployment.root}: manage.py migrate")
                deployment.manage("migrate", "--noinput", "-v0", timeout=1800)
            else:
                prepare(deployment, api_key=False)
            deployment.activate()
            import django

            django.setup()
            from django.db import connection, connections

            if not args.reuse:
                generate(deployment, args.cases, args.workers)
            # What the hourly job and a first backfill leave in production: stored rate tallies
            # of the months before the current one (the dashboard counts the current one live).
            started = time.monotonic()
            out = deployment.manage("rebuild_rate_tallies", "--months", "13", timeout=1800)
            log(f"rebuild_rate_tallies: {out.strip()} ({time.monotonic() - started:.1f} s)")
            if args.analyze:
                log("ANALYZE")
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            counts = status_counts()
            log(f"statuses: {counts}")
            specs = [
                spec for spec in page_specs() if args.pages in spec.name or spec.name == "healthz"
            ]
            cookies = sessions()
            profiles = profile_pages(specs, cookies, heavy_seconds=args.heavy_seconds)
            connections.close_all()
            results: dict[str, Summary] = {}
            singles: dict[str, Single] = {}
            if not args.no_load:
                results, singles = run_load(
                    deployment,
                    profiles,
                    cookies,
                    connections=args.connections,
                    repeats=args.repeats,
                    duration=args.duration,
                    variant=args.server,
                )
    finally:
        if args.keep or args.reuse:
            log(f"kept {deployment.root}")
        else:
            deployment.remove()

    print("# Staff list pages\n")
    print(f"`{' '.join(['python', 'bench/lists.py', *(argv or sys.argv[1:])])}`\n")
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    total = sum(counts.values())
    shares = ", ".join(f"{k} {v / total:.1%}" for k, v in counts.items())
    print(f"\n{total:,} cases: {shares}. Medians of {args.repeats} runs of {args.duration} s.")
    print_profiles(profiles)
    if not args.no_load:
        print_load(profiles, results, singles, args.connections)
    write_json(
        args.json,
        {
            "machine": info,
            "statuses": counts,
            "profiles": [
                {
                    "page": p.spec.name,
                    "path": p.spec.path,
                    "status": p.status,
                    "statements": p.queries,
                    "wall_ms": p.wall_ms,
                    "plans": [plan.__dict__ for plan in p.plans],
                }
                for p in profiles
            ],
            "load": {
                name: {"p50": s.p50, "p95": s.p95, "p99": s.p99, "rps": s.rps}
                for name, s in results.items()
            },
            "single_requests": {name: single.__dict__ for name, single in singles.items()},
        },
    )
    return 0 if all(s.errors == 0 for s in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
