"""Shared machinery of the benchmarks: a throw-away deployment, the server, wrk, statistics.

Every benchmark builds its own deployment in a temporary directory (SQLite database, static
files, huey's queue, media), runs the production server against it on 127.0.0.1, and stops
everything it started, also when it fails or runs out of time. Nothing here is used by the
application.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
# ../shared/data beside the project, or the folder JICENG_SHARED_DATA names.
SHARED_DATA = Path(os.environ.get("JICENG_SHARED_DATA") or REPO.parent / "shared" / "data")
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")
WRK_SCRIPT = BENCH / "wrk_report.lua"
HOST = "127.0.0.1"

# `bin/serve`'s gunicorn command line, after the bind address.
# As bin/serve runs it by default (one request at a time per process); the "threads" variant
# is bin/serve with WEB_THREADS=8 (gunicorn's gthread workers).
SERVE_ARGS = ["--workers", "2", "--access-logfile", "-", "--log-level", "warning"]
SERVER_VARIANTS: dict[str, list[str]] = {
    "serve": [],
    "threads": ["--threads", "8"],
}


def log(message: str) -> None:
    """Progress on stderr, with the time, so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z] {message}", file=sys.stderr, flush=True)


class OutOfTime(Exception):
    """The benchmark's overall time limit has passed."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise OutOfTime in the main thread after `seconds`, so every run stops by itself."""

    def expire(signum: int, frame: Any) -> None:
        raise OutOfTime(f"the run took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- the machine ----------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    wrk_version = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        wrk_version = (out.stdout + out.stderr).split("\n", 1)[0].strip()
    versions = subprocess.run(
        [
            PYTHON,
            "-c",
            "import django, gunicorn, sqlite3, sys; "
            "print(sys.version.split()[0], django.get_version(), gunicorn.__version__, "
            "sqlite3.sqlite_version)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model,
        "kernel": platform.release(),
        "python": versions[0],
        "django": versions[1],
        "gunicorn": versions[2],
        "sqlite": versions[3],
        "wrk": wrk_version,
    }


# --- a throw-away deployment ----------------------------------------------------------------
@dataclass
class Deployment:
    """A temporary directory with a SQLite database, and the environment that points at it."""

    root: Path
    env: dict[str, str]

    @property
    def database(self) -> Path:
        return self.root / "bench.sqlite3"

    def manage(self, *args: str, timeout: int = 600) -> str:
        """`python manage.py …` against this deployment; its standard output."""
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def activate(self) -> None:
        """Use this deployment's settings in this process too (before django.setup())."""
        os.environ.update(self.env)
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))

    def count(self, table: str) -> int:
        """Rows in `table`, read straight from the database file (the server may be running)."""
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(table)
        connection = sqlite3.connect(self.database, timeout=30)
        try:
            return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
        finally:
            connection.close()

    def stable_count(self, table: str, timeout: float = 60) -> int:
        """Rows in `table` once the count stops changing: with threaded workers, requests left
        over from the previous run may still be writing after /healthz answers again."""
        deadline = time.monotonic() + timeout
        last = self.count(table)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.count(table)
            if now == last:
                return now
            last = now
        raise RuntimeError(f"{table} kept growing for {timeout} s")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def make_deployment(extra_env: dict[str, str] | None = None) -> Deployment:
    """A fresh temporary deployment with production settings (DEBUG off)."""
    root = Path(tempfile.mkdtemp(prefix="jiceng-bench-"))
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "JICENG_BENCH_DIR": str(root),
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": HOST,
            "MEDIA_ROOT": str(root / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra_env or {})
    return Deployment(root=root, env=env)


def seed_demo_args(deployment: Deployment) -> list[str]:
    """`seed_demo --cases 0` where the command has the option, else plain `seed_demo`; with
    `--no-support` where it has that: the demo care lists raise a few requests, which the
    benchmarks' own cases must not meet (lists.py copies the database to make them)."""
    help_text = deployment.manage("seed_demo", "--help", timeout=120)
    args = ["seed_demo", "--cases", "0"] if "--cases" in help_text else ["seed_demo"]
    return [*args, "--no-support"] if "--no-support" in help_text else args


def prepare(deployment: Deployment, *, api_key: bool) -> str:
    """Migrate, create the cache table, load the demo units and people, collect static files;
    return a new API key when asked for one."""
    log(f"deployment in {deployment.root}")
    deployment.manage("migrate", "--noinput", "-v0")
    deployment.manage("createcachetable")
    seed = seed_demo_args(deployment)
    log(f"loading the demo units and people: manage.py {' '.join(seed)}")
    deployment.manage(*seed)
    deployment.manage("collectstatic", "--noinput", "-v0")
    if not api_key:
        return ""
    return deployment.manage("create_api_key", "--name", "bench").strip().splitlines()[-1]


# --- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of the live processes in a process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[0] is the state (field 3 of stat(5)): pgrp is field 5, utime 14, stime 15.
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass
class Process:
    """A process started in its own session; stopping it stops its whole group."""

    name: str
    popen: subprocess.Popen[bytes]

    @property
    def pgid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        return _group_cpu_seconds(self.pgid)

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def start(name: str, command: Sequence[str], deployment: Deployment) -> Process:
    log_file = (deployment.root / f"{name}.log").open("ab")
    popen = subprocess.Popen(
        list(command),
        cwd=REPO,
        env=deployment.env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    return Process(name=name, popen=popen)


def start_server(deployment: Deployment, port: int, variant: str) -> Process:
    """gunicorn as `bin/serve` runs it, plus the variant's worker options."""
    command = [
        GUNICORN,
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        *SERVE_ARGS,
        *SERVER_VARIANTS[variant],
    ]
    log(f"starting gunicorn ({variant}): {' '.join(command[1:])}")
    server = start(f"gunicorn-{variant}", command, deployment)
    wait_healthy(port, server)
    return server


def start_consumer(deployment: Deployment) -> Process:
    """The background-job consumer, as `bin/serve` runs it next to the web server."""
    return start("huey", [PYTHON, "manage.py", "run_huey", "--quiet"], deployment)


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None, *, timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        names: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            names[key] = f"{names[key]}\n{value}" if key in names else value
        return response.status, names, body
    finally:
        connection.close()


def settle(port: int, timeout: float = 120) -> None:
    """Wait until the server answers /healthz again: requests that wrk left queued when it
    stopped are finished, so they do not slow down the next measurement."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if http_get(port, "/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not settle within {timeout} s")


def wait_healthy(port: int, server: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.popen.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.popen.returncode}")
        with contextlib.suppress(OSError):
            status, _, body = http_get(port, "/healthz")
            if status == 200 and b'"ok"' in body:
                return
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} did not answer /healthz within {timeout} s")


# --- wrk ------------------------------------------------------------------------------------
def _machine_ticks() -> tuple[int, int]:
    """Busy and total clock ticks of all cores since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user time
    return total - idle, total


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class WrkResult:
    requests: int
    seconds: float
    status_errors: int  # responses other than 2xx/3xx
    socket_errors: int  # connect, read, write errors and timeouts
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms: float = 0.0  # CPU of the server's processes per request
    # Shares of the whole machine (all cores) during the run: the server, wrk, everything.
    server_share: float = 0.0
    wrk_share: float = 0.0
    busy_share: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    port: int,
    path: str,
    *,
    connections: int,
    duration: int,
    threads: int = 2,
    method: str = "GET",
    body_prefix: str = "",
    headers: Sequence[str] = (),
    server: Process | None = None,
    timeout_s: int = 10,
) -> WrkResult:
    """Load `path` for `duration` seconds; POST bodies are `body_prefix` plus a unique suffix."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        f"{timeout_s}s",
        "-s",
        str(WRK_SCRIPT),
    ]
    for header in headers:
        command += ["-H", header]
    command += [f"http://{HOST}:{port}{path}", "--", method, body_prefix]
    cpu_before = server.cpu_seconds() if server else 0.0
    machine_before = _machine_ticks()
    wrk_before = _children_cpu_seconds()
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    wrk_cpu = _children_cpu_seconds() - wrk_before
    busy_after, total_after = _machine_ticks()
    busy, total = busy_after - machine_before[0], total_after - machine_before[1]
    cpu_after = server.cpu_seconds() if server else 0.0
    settle(port)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr[-2000:]}")
    ticks = os.sysconf("SC_CLK_TCK")
    line = next((x for x in result.stdout.splitlines() if x.startswith("JSON:")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{result.stdout[-2000:]}")
    data = json.loads(line[5:])
    requests = int(data["requests"])
    return WrkResult(
        requests=requests,
        seconds=data["duration_us"] / 1e6,
        status_errors=int(data["status"]),
        socket_errors=int(data["connect"] + data["read"] + data["write"] + data["timeout"]),
        p50_ms=data["p50"] / 1000,
        p90_ms=data["p90"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
        server_cpu_ms=(cpu_after - cpu_before) * 1000 / requests if requests else 0.0,
        server_share=(cpu_after - cpu_before) * ticks / total if total else 0.0,
        wrk_share=wrk_cpu * ticks / total if total else 0.0,
        busy_share=busy / total if total else 0.0,
    )


# --- statistics and tables ------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Summary:
    """The medians of repeated wrk runs of one measurement."""

    runs: list[WrkResult]

    @property
    def rps(self) -> float:
        return median([r.rps for r in self.runs])

    @property
    def p50(self) -> float:
        return median([r.p50_ms for r in self.runs])

    @property
    def p95(self) -> float:
        return median([r.p95_ms for r in self.runs])

    @property
    def p99(self) -> float:
        return median([r.p99_ms for r in self.runs])

    @property
    def cpu_ms(self) -> float:
        return median([r.server_cpu_ms for r in self.runs])

    @property
    def server_share(self) -> float:
        return median([r.server_share for r in self.runs])

    @property
    def wrk_share(self) -> float:
        return median([r.wrk_share for r in self.runs])

    @property
    def others_share(self) -> float:
        return median([max(r.busy_share - r.server_share - r.wrk_share, 0) for r in self.runs])

    @property
    def errors(self) -> int:
        return sum(r.status_errors + r.socket_errors for r in self.runs)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: str, payload: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        log(f"results written to {path}")
