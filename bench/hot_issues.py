"""Hot-issue placement throughput: the incremental clusterer against comparing every issue.

    nice -n 10 .venv/bin/python bench/hot_issues.py [--cases 100000] [--streets 300]
                                                     [--baseline 20000] [--repeats 3]
                                                     [--db 20000 [--batch 1000]]

Generates, from a fixed seed, synthetic requests from self-written templates (problems ×
phrasings × places × details) spread over `--streets` streets of one month, and times:

1. terms: making the counted words of every case (`hot_issues.terms`, jieba) — once;
2. indexed: placing every case with `hot_issues.Clusterer` (inverted index of key terms),
   `--repeats` times, the median reported;
3. brute: the same placement comparing each case with every issue of its street (no index),
   on the first `--baseline` cases, alternately with the indexed run on the same cases;

4. with `--db N`: the background job itself (`hot_services.hot_issues_assign`, batches of
   `--batch`) on N cases written into a throw-away SQLite database (not timed), before the rest;

and prints cases per second, the projected time for 2,000,000 cases (terms + indexed), and the
ratio brute / indexed on the baseline slice. Times are CPU time of this process
(`time.process_time`): the machine is shared, and wall time measured other people's work.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The database part (`--db N`) writes to a throw-away SQLite file, never to var/.
_TMP = tempfile.mkdtemp(prefix="hot-issues-bench-")
if "--db" in sys.argv:
    os.environ["DATABASE_URL"] = f"sqlite:///{_TMP}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from jiceng.insight import hot_issues as hot  # noqa: E402

PROBLEMS = [
    ("{p}垃圾站满溢没人清运", "{p}的垃圾站{d}没有清运，气味很大，{x}"),
    ("{p}路灯不亮", "{p}一带的路灯{d}都不亮，晚上回家很危险，{x}"),
    ("{p}夜间施工噪音扰民", "{p}工地{d}晚上还在施工，噪音很大，{x}"),
    ("{p}停车难占用消防通道", "{p}车辆乱停，占用消防通道，{d}都这样，{x}"),
    ("{p}自来水发黄有异味", "{p}的自来水{d}发黄，有异味，不敢喝，{x}"),
    ("{p}下水道堵塞污水外溢", "{p}下水道堵了，污水外溢到路面，{d}没人管，{x}"),
    ("{p}广场舞音响声音太大", "{p}广场舞音响声音太大，{d}影响休息，{x}"),
    ("{p}电梯经常故障", "{p}电梯{d}坏了好几次，老人上下楼困难，{x}"),
    ("{p}幼儿园学位不够", "{p}附近幼儿园学位不够，孩子入学难，{d}报名都满了，{x}"),
    ("{p}道路坑洼积水", "{p}路面坑坑洼洼，下雨积水，{d}没有修，{x}"),
    ("{p}餐馆油烟扰民", "{p}楼下餐馆油烟直排，{d}熏得开不了窗，{x}"),
    ("{p}共享单车乱停", "{p}地铁口共享单车乱停，{d}堵住人行道，{x}"),
    ("{p}物业乱收费", "{p}物业{d}又涨价，收费不公开，{x}"),
    ("{p}小区绿化带被毁种菜", "{p}绿化带被人毁了种菜，{d}越来越多，{x}"),
    ("{p}健身器材损坏", "{p}的健身器材坏了{d}，存在安全隐患，{x}"),
    ("{p}流浪狗伤人", "{p}流浪狗很多，{d}有人被咬，{x}"),
    ("{p}公交站台太远", "{p}最近的公交站太远，{d}出行不便，{x}"),
    ("{p}菜市场脏乱", "{p}菜市场地面脏乱，{d}污水横流，{x}"),
    ("{p}违章搭建", "{p}有人违章搭建，{d}越建越大，{x}"),
    ("{p}暖气不热", "{p}暖气{d}都不热，家里很冷，{x}"),
]
PLACES = [
    "柳岸",
    "桂香",
    "湖滨",
    "明珠",
    "云栖",
    "南山",
    "泉水",
    "青石",
    "白鹭",
    "金桂",
    "翠竹",
    "望江",
    "枫林",
    "梧桐",
    "清河",
    "锦绣",
]
SUFFIX = ["小区", "花园", "苑", "路", "社区", "新村"]
DAYS = ["三天", "一个星期", "半个月", "好几天", "两周", "一个月"]
EXTRA = ["希望尽快处理", "请有关部门管一管", "居民意见很大", "多次反映未果", "谢谢", "盼复"]


def generate(n: int, streets: int, seed: int) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        street = rng.randrange(streets)
        title, body = rng.choice(PROBLEMS)
        place = (
            rng.choice(PLACES)
            + rng.choice(SUFFIX)
            + (f"{rng.randint(1, 30)}栋" if rng.random() < 0.3 else "")
        )
        if rng.random() < 0.15:  # a one-off request unlike the others
            word = "".join(rng.choice("东西南北中新老大小高低长短红黄蓝绿") for _ in range(4))
            title, body = f"{word}{{p}}咨询事项", f"{word}相关的{{p}}事情想咨询一下，{{d}}，{{x}}"
        fill = {"p": place, "d": rng.choice(DAYS), "x": rng.choice(EXTRA)}
        out.append((street, title.format(**fill), body.format(**fill)))
    return out


def place_indexed(counted: list[tuple[int, dict[str, int], str]]) -> hot.Clusterer:
    clusterer = hot.Clusterer()
    for street, counts, title in counted:
        clusterer.place(partition=street, counts=counts, title=title)
    return clusterer


def place_brute(counted: list[tuple[int, dict[str, int], str]]) -> int:
    """The same rule without the index: compare with every issue of the street."""
    df = hot.DocumentFrequency()
    issues: dict[int, list[hot.Issue]] = {}
    made = 0
    for street, counts, title in counted:
        df.add(counts)
        vec = hot.vector(counts, df)
        best, score = None, 0.0
        for issue in issues.setdefault(street, []):
            s = issue.similarity(vec)
            if s > score:
                best, score = issue, s
        if best is None or score < hot.DEFAULT_THRESHOLD:
            made += 1
            best = hot.Issue(id=made, partition=street)
            issues[street].append(best)
        best.add(vec, title)
    return made


def run_db(cases: list[tuple[int, str, str]], streets: int, batch: int) -> None:
    """Time the background job itself (`hot_issues_assign`) on a fresh SQLite database:
    cases written with bulk_create (not timed), then placed batch by batch."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.core.management import call_command

    from jiceng.cases.models import Case, Category, Status
    from jiceng.core.actors import SYSTEM
    from jiceng.insight.hot_services import hot_issues_assign
    from jiceng.insight.models_hot import HotIssue
    from jiceng.orgs.models import OrgUnit

    warnings.simplefilter("ignore")  # treebeard's notice about add_child's new spelling
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    district = OrgUnit.add_root(code="B", name="区", kind="district")
    communities = []
    for n in range(streets):
        street = district.add_child(code=f"B-{n}", name=f"街道{n}", kind="street")
        for m in range(4):
            street.refresh_from_db()
            communities.append(
                street.add_child(code=f"B-{n}-{m}", name=f"社区{m}", kind="community")
            )
    category = Category.objects.filter(parent__isnull=False).first()
    start = datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    rng = random.Random(7)
    objs = []
    for i, (street, title, body) in enumerate(cases):
        area = communities[street * 4 + rng.randrange(4)]
        at = start + timedelta(seconds=i * (30 * 86400 // len(cases)))
        objs.append(
            Case(
                tracking_code=f"B{i:09d}",
                category=category,
                title=title[:100],
                description=body,
                area=area,
                area_path=area.path,
                channel="web",
                status=Status.CLOSED,
                current_unit=area,
                current_path=area.path,
                submitted_at=at,
                respond_by=at,
                resolve_by=at,
                reporter_phone=f"138{rng.randrange(10**8):08d}",
            )
        )
    Case.objects.bulk_create(objs, batch_size=2000)
    cpu, wall = time.process_time(), time.perf_counter()
    placed = hot_issues_assign(actor=SYSTEM, batch=batch)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"database job: {placed} cases in {HotIssue.objects.count()} issues, batches of {batch}: "
        f"CPU {cpu:.1f} s = {placed / cpu:,.0f} cases/s (wall {wall:.1f} s = "
        f"{placed / wall:,.0f} cases/s); 2,000,000 cases: {2_000_000 * cpu / placed / 60:.0f} "
        f"min CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--streets", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--db", type=int, default=0, help="also time the job on N cases")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if args.db:
        try:
            run_db(generate(args.db, args.streets, args.seed + 1), args.streets, args.batch)
        finally:
            shutil.rmtree(_TMP, ignore_errors=True)
        if not args.cases:
            return
    cases = generate(args.cases, args.streets, args.seed)
    hot.terms("预热", "")  # jieba loads its dictionary once per process: not timed
    start = time.process_time()
    counted = [(street, dict(hot.terms(t, b)), t) for street, t, b in cases]
    terms_s = time.process_time() - start
    runs = []
    clusterer = None
    for _ in range(args.repeats):
        start = time.process_time()
        clusterer = place_indexed(counted)
        runs.append(time.process_time() - start)
    assert clusterer is not None
    indexed_s = statistics.median(runs)
    sizes = sorted((i.size for i in clusterer.issues.values()), reverse=True)
    head = counted[: args.baseline]
    small_i, small_b = [], []
    for _ in range(args.repeats):
        start = time.process_time()
        place_indexed(head)
        small_i.append(time.process_time() - start)
        start = time.process_time()
        place_brute(head)
        small_b.append(time.process_time() - start)
    per_case = (terms_s + indexed_s) / len(cases)
    print(
        f"cases: {len(cases)} in {args.streets} streets; issues: {len(clusterer.issues)}; "
        f"largest: {sizes[:5]}; singletons: {sum(1 for s in sizes if s == 1)}"
    )
    print(f"terms (jieba): {terms_s:.1f} s = {len(cases) / terms_s:,.0f} cases/s")
    print(
        f"placing, indexed (median of {args.repeats}): {indexed_s:.1f} s = "
        f"{len(cases) / indexed_s:,.0f} cases/s"
    )
    print(
        f"terms + placing: {1 / per_case:,.0f} cases/s; 2,000,000 cases: "
        f"{2_000_000 * per_case / 60:.1f} min on one core"
    )
    bi, bb = statistics.median(small_i), statistics.median(small_b)
    print(
        f"first {len(head)} cases: indexed {bi:.2f} s, brute {bb:.2f} s, "
        f"brute/indexed = {bb / bi:.1f}×"
    )


if __name__ == "__main__":
    main()
