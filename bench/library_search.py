"""Library search over 100,000 documents: indexing throughput and search latency (p50/p95).

    nice -n 10 .venv/bin/python bench/library_search.py [--documents 100000] [--repeats 30]
        [--database sqlite | sqlite:///PATH | postgres://postgres@127.0.0.1:5432/library_bench]
        [--reuse] [--json FILE]

In one process, on a fresh database (a temporary SQLite file, or the PostgreSQL database named
by the URL, which is dropped and created again: never point it at data you keep). With
`--reuse`, a database this script built before is kept and only the searches run
(`--database sqlite:///PATH` names a SQLite file to keep):

1. migrates, makes a district with 4 streets and 20 communities, a community staff member;
2. generates `--documents` documents from the demo templates (jiceng/library/demo_data.py;
   numbered titles, varied topics, kinds, sources, tags, units and visibility), segments them
   with jieba and stores them with the search entries in batches of 5,000: reports documents
   per second for segmenting alone and for segmenting + storing (index maintenance included:
   FTS5 triggers on SQLite, the generated tsvector and its GIN index on PostgreSQL);
3. runs each query of QUERIES `--repeats` times through `library_search` (the selector the
   page calls: scoping, filters, ranking, the first page of 20, highlighting and snippets) as a
   resident (public documents only) and as community staff (public, staff-wide, own line and
   own drafts), and reports p50 and p95 per query and over all;
4. baseline measured in the same process: the library's first page without a query (newest
   first on an index), and a naive `LIKE '%word%'` over titles and bodies for one word.

The figures go to docs/PERFORMANCE.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = [
    "服务群众",
    "基层党组织",
    "垃圾分类",
    "加装电梯",
    '"居民 议事会"',
    "老旧小区改造 资金筹措",
    "网格员 巡查走访",
    "疫情防控 物资保障",
    "积分兑换",
    "党群服务中心",
    "柳岸社区 电商带货",
    "共建共治共享",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+|[^\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")


def memoise_segmentation(sample: list[Any]) -> None:
    """Swap the library's segmentation for one memoised per block; check it on `sample`."""
    from jiceng.core import text
    from jiceng.library import search

    cached = functools.lru_cache(maxsize=200_000)(lambda block: tuple(text.words(block)))

    def words(value: str) -> list[str]:
        out: list[str] = []
        for block in _BLOCK.findall(text.normalise(value)):
            out.extend(cached(block))
        return out

    for document in sample:
        expected = search.index_text(document.title, document.body)
        original = search.words
        search.words = words
        try:
            got = search.index_text(document.title, document.body)
        finally:
            search.words = original
        if got != expected:
            raise SystemExit(f"memoised segmentation differs on {document.title}")
    search.words = words


def prepare_database(url: str | None, *, reuse: bool) -> tuple[str, str, bool]:
    """The database URL, its vendor, and whether it holds a corpus built before (`reuse`)."""
    if url is None or url == "sqlite":
        folder = tempfile.mkdtemp(prefix="jiceng-library-bench-")
        return f"sqlite:///{folder}/bench.sqlite3", "sqlite", False
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if reuse and path.exists():
            return url, "sqlite", True
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        return url, "sqlite", False
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if (
            reuse
            and connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
        ):
            return url, "postgresql", True
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url, "postgresql", False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--measured", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="keep a corpus built before")
    parser.add_argument("--json")
    args = parser.parse_args()

    url, vendor, reused = prepare_database(args.database, reuse=args.reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from jiceng.core.actors import ANONYMOUS, SYSTEM, Actor
    from jiceng.library.demo_data import bulk_store, generate_documents
    from jiceng.library.models import Document
    from jiceng.library.search import index_text
    from jiceng.library.selectors import library_search
    from jiceng.orgs import services as org_services
    from jiceng.orgs.models import Membership, User
    from jiceng.orgs.roles import Role, UnitKind

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    if reused:
        user = User.objects.get(username="bench-staff")
        membership = Membership.objects.select_related("unit").get(user=user)
        staff = Actor(user=user, membership=membership)
        measured = 0
        segment_seconds = store_seconds = maintenance_seconds = 0.0
    else:
        root = org_services.unit_create_root(actor=SYSTEM, code="QH", name="青禾区")
        units = []
        for s in range(4):
            street = org_services.unit_create(
                actor=SYSTEM, parent=root, code=f"QH-{s}", name=f"街道{s}", kind=UnitKind.STREET
            )
            for c in range(5):
                units.append(
                    org_services.unit_create(
                        actor=SYSTEM,
                        parent=street,
                        code=f"QH-{s}-{c}",
                        name=f"社区{s}{c}",
                        kind=UnitKind.COMMUNITY,
                    )
                )
        user = User.objects.create_user(username="bench-staff", password="x" * 20)
        org_services.membership_grant(
            actor=SYSTEM, user=user, unit=units[0], role=Role.COMMUNITY_STAFF
        )
        staff = Actor(
            user=user, membership=Membership.objects.select_related("unit").get(user=user)
        )
        unit_rows = [(unit.pk, unit.path) for unit in units]

        # --- indexing ----------------------------------------------------------------------------
        # Throughput is measured on the first `--measured` documents with the real segmentation.
        # The rest are stored with a segmentation memoised per clause (jieba cuts text into blocks
        # at punctuation and spaces, so a text's words are its blocks' words): the same words, as
        # checked below, without spending CPU on the templates' repeated clauses.
        batch = 5_000
        measured = min(args.measured, args.documents)
        segment_seconds = 0.0
        store_seconds = 0.0
        sample = list(generate_documents(min(200, measured), seed=7))
        index_text("预热", "加载词典")  # jieba loads its dictionary on first use: not timed
        began = time.perf_counter()
        for document in sample:
            index_text(document.title, document.body)
        segment_rate = len(sample) / (time.perf_counter() - began)
        for start in range(0, args.documents, batch):
            documents = list(
                generate_documents(min(batch, args.documents - start), seed=7, start=start)
            )
            if start == measured:
                memoise_segmentation(sample)
            began = time.perf_counter()
            with transaction.atomic():
                bulk_store(documents, unit_rows, key_prefix=f"bench:{start}:")
            if start < measured:
                store_seconds += time.perf_counter() - began
            print(f"  {start + len(documents)} documents", file=sys.stderr, flush=True)
        segment_seconds = measured / segment_rate
        with connection.cursor() as cursor:
            began = time.perf_counter()
            if vendor == "sqlite":
                cursor.execute("INSERT INTO library_fts(library_fts) VALUES ('optimize')")
                cursor.execute("ANALYZE")
            else:
                cursor.execute("ANALYZE")
            maintenance_seconds = time.perf_counter() - began
    total = Document.objects.count()

    # --- searching ---------------------------------------------------------------------------
    def timed(function: Any) -> list[float]:
        function()  # warm
        samples = []
        for _ in range(args.repeats):
            began = time.perf_counter()
            function()
            samples.append((time.perf_counter() - began) * 1000)
        return samples

    rows = []
    every: dict[str, list[float]] = {"resident": [], "staff": []}
    for query in QUERIES:
        row: dict[str, Any] = {"query": query}
        for label, actor in (("resident", ANONYMOUS), ("staff", staff)):
            samples = timed(
                lambda actor=actor, query=query: library_search(actor=actor, query=query)
            )
            every[label].extend(samples)
            row[label] = (statistics.median(samples), percentile(samples, 0.95))
        row["hits_first_page"] = len(library_search(actor=ANONYMOUS, query=query).hits)
        rows.append(row)
    newest = timed(lambda: library_search(actor=ANONYMOUS, query=""))
    like = timed(
        lambda: list(
            Document.objects.filter(body__contains="电商带货", title__contains="柳岸社区")
            .order_by("-id")
            .values_list("id", flat=True)[:21]
        )
    )

    print()
    print(f"database: {vendor}; documents: {total}; repeats: {args.repeats}")
    if measured:
        print(
            f"indexing (first {measured:,} documents): segmenting alone "
            f"{measured / segment_seconds:,.0f} docs/s; "
            f"segmenting + storing with the index {measured / store_seconds:,.0f} docs/s; "
            f"optimize/analyze {maintenance_seconds:.1f} s"
        )
    else:
        print("indexing: not measured (corpus reused)")
    print()
    print("| query | resident p50 ms | resident p95 ms | staff p50 ms | staff p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['query']} | {row['resident'][0]:.1f} | {row['resident'][1]:.1f} | "
            f"{row['staff'][0]:.1f} | {row['staff'][1]:.1f} |"
        )
    for label in ("resident", "staff"):
        print(
            f"| **all queries, {label}** | {statistics.median(every[label]):.1f} | "
            f"{percentile(every[label], 0.95):.1f} | | |"
        )
    base = statistics.median(newest)
    print()
    print(
        f"baseline: newest-first page without a query p50 {base:.1f} ms "
        f"(p95 {percentile(newest, 0.95):.1f}); LIKE scan for one rare pair p50 "
        f"{statistics.median(like):.1f} ms; search p50 / baseline = "
        f"{statistics.median(every['resident']) / base:.2f} (resident)"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "database": vendor,
                    "documents": total,
                    "rows": rows,
                    "newest_ms": newest,
                    "like_ms": like,
                    "segment_docs_per_s": measured / segment_seconds if measured else None,
                    "index_docs_per_s": measured / store_seconds if measured else None,
                },
                ensure_ascii=False,
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
