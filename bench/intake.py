"""Intake throughput: how many requests per second the production server takes in.

    .venv/bin/python bench/intake.py [--duration 20] [--connections 8,32] [--repeats 3]
                                     [--servers serve] [--endpoints healthz,open311,report]
                                     [--sqlite-synchronous FULL] [--ratelimit on]
                                     [--conn-max-age N] [--json FILE]

On a fresh SQLite database in a temporary directory (demo units and people, no cases) it

1. measures in-process, with Django's test client, the CPU time and the SQL queries of one
   Open311 POST and one resident web-form POST (and of /healthz for comparison);
2. serves the project as `bin/serve` does (gunicorn `config.wsgi:application`, 2 sync workers,
   access log on, plus the huey consumer; `--servers serve,threads` adds a run with 8 threads
   per process, as `WEB_THREADS=8` gives), and loads it from 127.0.0.1 with wrk (2 threads) at each
   concurrency: GET /healthz (the framework ceiling), POST /open311/v2/requests.json and
   POST /report/. Every measurement is repeated; tables show medians.

Every accepted POST must be a new case: after each run the script counts the new rows and
compares them with wrk's successful responses. The per-address and per-key rate limits stay on
(their cost is part of a real request) but are raised far above what the run can reach.

Experiments, to measure what a recommended change would gain (nothing in the application
changes): `--sqlite-synchronous NORMAL`, `--ratelimit off` and `--conn-max-age 0` (a new
database connection for every request). See docs/PERFORMANCE.md for the figures and what they
mean.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    SERVER_VARIANTS,
    Deployment,
    Process,
    Summary,
    WrkResult,
    free_port,
    http_get,
    log,
    machine,
    make_deployment,
    markdown_table,
    prepare,
    run_wrk,
    start_consumer,
    start_server,
    time_limit,
    write_json,
)

AREA_CODE = "QH-DH-LA"  # 柳岸社区 of the demo district
SERVICE_CODE = "rubbish"
ENDPOINTS = ("healthz", "open311", "report")
ENDPOINT_LABELS = {
    "healthz": "GET /healthz",
    "open311": "POST /open311/v2/requests.json",
    "report": "POST /report/ (web form)",
}
DESCRIPTION = "柳岸花园3幢楼下的垃圾桶已经满了两天没人清运，气味很大，请尽快安排处理。"
TITLE = "垃圾桶满溢无人清运"
ADDRESS = "柳岸花园3幢"
# Limits far above anything a run reaches, so no request is refused (docs/PERFORMANCE.md).
RAISED_LIMITS = {"CASE_SUBMISSIONS_PER_HOUR": "100000000", "OPEN311_POSTS_PER_HOUR": "100000000"}
TARGET_RPS = 690
TARGET_P99_MS = 100


# --- in-process: CPU and queries per request ------------------------------------------------
@dataclass
class InProcess:
    name: str
    queries: list[tuple[float, str]]
    cpu_ms: float
    wall_ms: float
    cpu_ms_no_ratelimit: float
    wall_ms_no_ratelimit: float
    hotspots: list[tuple[str, float]]  # project functions by cumulative CPU per request (ms)

    @property
    def transactions(self) -> int:
        return sum(1 for _, sql in self.queries if sql.startswith("BEGIN"))

    @property
    def commits(self) -> int:
        return sum(1 for _, sql in self.queries if sql == "COMMIT")


def _short_sql(sql: str) -> str:
    sql = re.sub(r"^SELECT (DISTINCT )?(.{60,}?) FROM", r"SELECT \1… FROM", sql)
    sql = re.sub(r"^(INSERT INTO \S+) \(.*?\) VALUES .*", r"\1 (…) VALUES (…)", sql)
    sql = re.sub(r"SET (.{40,}?) WHERE", "SET … WHERE", sql)
    return sql if len(sql) <= 170 else sql[:167] + "…"


def _timed(call: Callable[[int], None], count: int, start: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(start, start + count):
        call(i)
    return (
        (time.process_time() - cpu) * 1000 / count,
        (time.perf_counter() - wall) * 1000 / count,
    )


def _hotspots(call: Callable[[int], None], count: int, start: int) -> list[tuple[str, float]]:
    """Project functions (jiceng/) by cumulative time per request under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(start, start + count):
        call(i)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows: list[tuple[str, float]] = []
    for (filename, line, function), (_, _, _, cumulative, _) in stats.items():
        if "/jiceng/" in filename:
            short = filename.split("/jiceng/", 1)[1]
            rows.append((f"jiceng/{short}:{line} {function}", cumulative * 1000 / count))
    rows.sort(key=lambda row: -row[1])
    return rows[:12]


def measure_in_process(deployment: Deployment, api_key: str, count: int) -> list[InProcess]:
    """CPU and queries of single requests through Django's test client (no HTTP server)."""
    deployment.activate()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from jiceng.cases.models import Category
    from jiceng.orgs.models import OrgUnit

    api = Client(HTTP_HOST="127.0.0.1")
    web = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    page = web.get("/report/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    if page.status_code != 200 or match is None:
        raise RuntimeError(f"GET /report/ answered {page.status_code} without a CSRF token")
    token = match.group(1)
    category = Category.objects.get(code=SERVICE_CODE).pk
    area = OrgUnit.objects.get(code=AREA_CODE).pk

    def healthz(i: int) -> None:
        response = api.get("/healthz")
        assert response.status_code == 200, response.status_code

    def open311(i: int) -> None:
        response = api.post(
            "/open311/v2/requests.json",
            {
                "api_key": api_key,
                "service_code": SERVICE_CODE,
                "area_code": AREA_CODE,
                "description": f"{DESCRIPTION} p{i}",
            },
        )
        assert response.status_code == 200, response.content[:500]

    def report(i: int) -> None:
        # Like wrk: the CSRF cookie, no session cookie, so every post starts a new session.
        web.cookies.pop(settings.SESSION_COOKIE_NAME, None)
        response = web.post(
            "/report/",
            {
                "csrfmiddlewaretoken": token,
                "category": category,
                "area": area,
                "title": TITLE,
                "description": f"{DESCRIPTION} w{i}",
                "address": ADDRESS,
            },
        )
        assert response.status_code == 302, response.content[:500]
        assert response["Location"].endswith("/report/done/"), response["Location"]

    results = []
    calls: dict[str, Callable[[int], None]] = {
        "healthz": healthz,
        "open311": open311,
        "report": report,
    }
    for name, call in calls.items():
        log(f"in-process: {ENDPOINT_LABELS[name]} × {count}")
        for i in range(10):  # warm-up: imports, caches, prepared state
            call(i)
        with CaptureQueriesContext(connection) as captured:
            call(10)
        queries = [(float(q["time"]) * 1000, _short_sql(q["sql"])) for q in captured]
        cpu, wall = _timed(call, count, 100)
        with override_settings(RATELIMIT_ENABLED=False):
            cpu_off, wall_off = _timed(call, count, 100 + count)
        hotspots = _hotspots(call, max(count // 2, 1), 100 + 2 * count)
        results.append(InProcess(name, queries, cpu, wall, cpu_off, wall_off, hotspots))
    connections.close_all()
    return results


def print_in_process(results: list[InProcess]) -> None:
    print("\n## In-process cost per request (Django test client, no HTTP server)\n")
    rows = [
        [
            ENDPOINT_LABELS[r.name],
            len(r.queries),
            r.transactions,
            r.commits,
            r.cpu_ms,
            r.wall_ms,
            r.cpu_ms_no_ratelimit,
            r.wall_ms_no_ratelimit,
        ]
        for r in results
    ]
    header = [
        "request",
        "SQL statements",
        "write txns",
        "commits",
        "CPU ms",
        "wall ms",
        "CPU ms, rate limits off",
        "wall ms, rate limits off",
    ]
    print(markdown_table(header, rows))
    for r in results:
        print(f"\n### Statements of one {ENDPOINT_LABELS[r.name]}\n")
        for number, (ms, sql) in enumerate(r.queries, 1):
            print(f"{number:2}. `{sql}` ({ms:.2f} ms)")
        if r.name != "healthz":
            print("\nProject functions by cumulative time per request (cProfile, inflated):\n")
            for function, ms in r.hotspots:
                print(f"- {ms:6.2f} ms  {function}")


# --- over HTTP: wrk against gunicorn --------------------------------------------------------
@dataclass
class Target:
    path: str
    method: str = "GET"
    body_prefix: str = ""
    headers: tuple[str, ...] = ()
    creates_cases: bool = False


def web_form_target(port: int) -> Target:
    """The resident form: one GET gives the CSRF cookie and a token valid for every post."""
    status, headers, body = http_get(port, "/report/")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or cookie is None or token is None:
        raise RuntimeError(f"GET /report/ answered {status} without the CSRF cookie and token")
    category, area = _form_choices(body)
    fields = {
        "csrfmiddlewaretoken": token.group(1).decode(),
        "category": category,
        "area": area,
        "title": TITLE,
        "address": ADDRESS,
    }
    body_prefix = urlencode(fields) + "&description=" + quote(DESCRIPTION + " ")
    return Target(
        "/report/",
        "POST",
        body_prefix,
        (f"Cookie: csrftoken={cookie.group(1)}",),
        creates_cases=True,
    )


def _form_choices(html: bytes) -> tuple[str, str]:
    """The option values of the rubbish category and the 柳岸社区 area in the form."""
    text = html.decode()
    category = re.search(r'<option value="(\d+)"[^>]*>垃圾清运</option>', text)
    area = re.search(r'<option value="(\d+)"[^>]*>柳岸社区</option>', text)
    if category is None or area is None:
        raise RuntimeError("the report form has no 垃圾清运 category or 柳岸社区 area")
    return category.group(1), area.group(1)


def open311_target(api_key: str) -> Target:
    fields = {"api_key": api_key, "service_code": SERVICE_CODE, "area_code": AREA_CODE}
    body_prefix = urlencode(fields) + "&description=" + quote(DESCRIPTION + " ")
    return Target("/open311/v2/requests.json", "POST", body_prefix, creates_cases=True)


def load(
    deployment: Deployment,
    port: int,
    server: Process,
    target: Target,
    *,
    connections: int,
    duration: int,
) -> WrkResult:
    before = deployment.stable_count("cases_case") if target.creates_cases else 0
    result = run_wrk(
        port,
        target.path,
        connections=connections,
        duration=duration,
        method=target.method,
        body_prefix=target.body_prefix,
        headers=target.headers,
        server=server,
    )
    if target.creates_cases:
        created = deployment.stable_count("cases_case") - before
        expected = result.requests - result.status_errors
        # wrk does not count the responses still in flight when it stops (≤ one a connection).
        slack = connections + result.socket_errors
        result.extra = {
            "created": created,
            "expected": expected,
            "rows_ok": 0 <= created - expected <= slack,
        }
    return result


def run_load(
    deployment: Deployment,
    api_key: str,
    *,
    variants: list[str],
    endpoints: list[str],
    levels: list[int],
    repeats: int,
    duration: int,
) -> dict[tuple[str, str, int], Summary]:
    results: dict[tuple[str, str, int], Summary] = {}
    for variant in variants:
        port = free_port()
        server = consumer = None
        try:
            consumer = start_consumer(deployment)
            server = start_server(deployment, port, variant)
            targets = {
                "healthz": Target("/healthz"),
                "open311": open311_target(api_key),
                "report": web_form_target(port),
            }
            for name in endpoints:  # warm-up: every worker imports and connects
                target = targets[name]
                run_wrk(port, target.path, connections=8, duration=2, **_wrk_kw(target))
            for repeat in range(1, repeats + 1):
                for level in levels:
                    for name in endpoints:
                        result = load(
                            deployment,
                            port,
                            server,
                            targets[name],
                            connections=level,
                            duration=duration,
                        )
                        check = result.extra
                        log(
                            f"{variant} run {repeat}/{repeats} c={level} {name}: "
                            f"{result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                            f"p99 {result.p99_ms:.1f} ms, errors "
                            f"{result.status_errors}+{result.socket_errors}, server CPU "
                            f"{result.server_cpu_ms:.1f} ms/req, machine: server "
                            f"{result.server_share:.0%} wrk {result.wrk_share:.0%} busy "
                            f"{result.busy_share:.0%}"
                            + (
                                f", rows {check['created']} for {check['expected']} "
                                f"({'ok' if check['rows_ok'] else 'MISMATCH'})"
                                if check
                                else ""
                            )
                        )
                        key = (variant, name, level)
                        results.setdefault(key, Summary([])).runs.append(result)
        finally:
            for process in (server, consumer):
                if process is not None:
                    process.stop()
    return results


def _wrk_kw(target: Target) -> dict[str, Any]:
    return {"method": target.method, "body_prefix": target.body_prefix, "headers": target.headers}


def print_load(
    results: dict[tuple[str, str, int], Summary],
    *,
    variants: list[str],
    endpoints: list[str],
    levels: list[int],
) -> None:
    for variant in variants:
        options = " ".join(SERVER_VARIANTS[variant]) or "-"
        print(f"\n## gunicorn, 2 workers, {variant} ({options})\n")
        rows: list[list[object]] = []
        for level in levels:
            base = results.get((variant, "healthz", level))
            for name in endpoints:
                s = results[(variant, name, level)]
                rows_ok = [r.extra["rows_ok"] for r in s.runs if r.extra]
                rows.append(
                    [
                        ENDPOINT_LABELS[name],
                        level,
                        s.rps,
                        f"{s.rps / base.rps:.3f}" if base else "-",
                        s.p50,
                        s.p99,
                        s.cpu_ms,
                        f"{s.server_share:.0%} / {s.wrk_share:.0%} / {s.others_share:.0%}",
                        s.errors,
                        ("ok" if all(rows_ok) else "MISMATCH") if rows_ok else "-",
                    ]
                )
        header = [
            "endpoint",
            "conns",
            "req/s",
            "÷ healthz",
            "p50 ms",
            "p99 ms",
            "server CPU ms/req",
            "CPU: server / wrk / others",
            "errors",
            "rows = 2xx/3xx",
        ]
        print(markdown_table(header, rows))
        for level in levels:
            if "open311" in endpoints:
                s = results[(variant, "open311", level)]
                met = s.rps >= TARGET_RPS and s.p99 <= TARGET_P99_MS
                print(
                    f"\nTarget Open311 ≥ {TARGET_RPS} req/s with p99 ≤ {TARGET_P99_MS} ms at "
                    f"{level} connections: {'met' if met else 'MISSED'} "
                    f"({s.rps:.0f} req/s, p99 {s.p99:.0f} ms)."
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", default="8,32", help="concurrency levels")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--servers", default="serve", help="gunicorn variants: serve (as bin/serve), threads"
    )
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--in-process-requests", type=int, default=200)
    parser.add_argument(
        "--sqlite-synchronous",
        default="",
        help="SQLITE_SYNCHRONOUS for the server (default: the project's, FULL)",
    )
    parser.add_argument(
        "--ratelimit", choices=("on", "off"), default="on", help="RATELIMIT_ENABLED"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="experiment: CONN_MAX_AGE (seconds a database connection is kept; 0: none)",
    )
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary deployment")
    args = parser.parse_args(argv)

    levels = [int(x) for x in args.connections.split(",")]
    variants = [x for x in args.servers.split(",") if x]
    endpoints = [x for x in args.endpoints.split(",") if x]
    if "healthz" not in endpoints:
        endpoints.insert(0, "healthz")  # the baseline of every ratio
    unknown = set(variants) - set(SERVER_VARIANTS) | set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    runs = len(variants) * len(levels) * len(endpoints) * args.repeats
    estimate = runs * (args.duration + 2) + len(variants) * (len(endpoints) * 2 + 15) + 120
    log(f"{runs} wrk runs of {args.duration} s; about {estimate / 60:.0f} minutes in all")

    env = dict(RAISED_LIMITS)
    env["RATELIMIT_ENABLED"] = "true" if args.ratelimit == "on" else "false"
    if args.sqlite_synchronous:
        env["SQLITE_SYNCHRONOUS"] = args.sqlite_synchronous
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = str(args.conn_max_age)
    deployment = make_deployment(env)
    try:
        with time_limit(int(estimate * 1.5) + 300):
            info = machine()
            api_key = prepare(deployment, api_key=True)
            in_process = measure_in_process(deployment, api_key, args.in_process_requests)
            results = run_load(
                deployment,
                api_key,
                variants=variants,
                endpoints=endpoints,
                levels=levels,
                repeats=args.repeats,
                duration=args.duration,
            )
    finally:
        if args.keep:
            log(f"kept {deployment.root}")
        else:
            deployment.remove()

    print("# Intake benchmark\n")
    print(f"`{' '.join(['python', 'bench/intake.py', *(argv or sys.argv[1:])])}`\n")
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    settings_note = ", ".join(f"{k}={v}" for k, v in env.items())
    print(f"Environment: {settings_note}; medians of {args.repeats} runs of {args.duration} s.")
    print_in_process(in_process)
    print_load(
        results,
        variants=variants,
        endpoints=endpoints,
        levels=levels,
    )
    write_json(
        args.json,
        {
            "machine": info,
            "environment": env,
            "in_process": [r.__dict__ for r in in_process],
            "load": [
                {
                    "server": key[0],
                    "endpoint": key[1],
                    "connections": key[2],
                    "median_rps": s.rps,
                    "median_p50_ms": s.p50,
                    "median_p99_ms": s.p99,
                    "runs": [r.__dict__ for r in s.runs],
                }
                for key, s in results.items()
            ],
        },
    )
    mismatches = [
        key for key, s in results.items() if any(not r.extra.get("rows_ok", True) for r in s.runs)
    ]
    errors = [key for key, s in results.items() if s.errors]
    if mismatches or errors:
        log(f"errors in {errors}, row count mismatches in {mismatches}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
