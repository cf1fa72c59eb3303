"""Demo documents for the experience library, written for the demo from templates (our own
text, no real articles): varied titles, kinds, sources, tags, units, dates and visibility.

`generate_documents` is pure and deterministic (a seed), so the benchmark uses it too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.library.models import (
    Document,
    DocumentKind,
    DocumentStatus,
    SearchEntry,
    Visibility,
)
from jiceng.library.search import index_text

TOPICS = [
    ("老旧小区改造", ["加装电梯", "管网更新", "居民议事", "资金筹措"], "城市更新"),
    ("垃圾分类", ["定时定点", "积分兑换", "志愿者督导", "厨余垃圾"], "环境治理"),
    ("网格化管理", ["网格员", "巡查走访", "信息采集", "矛盾排查"], "基层治理"),
    ("为民服务", ["党群服务中心", "代办服务", "一站式办理", "延时服务"], "服务群众"),
    ("基层党组织建设", ["支部标准化", "党员积极分子", "三会一课", "组织生活"], "党建引领"),
    ("乡村振兴", ["特色产业", "合作社", "集体经济", "电商带货"], "乡村振兴"),
    ("养老服务", ["日间照料", "助餐点", "适老化改造", "上门巡访"], "民生保障"),
    ("物业管理", ["业主委员会", "物业费", "红色物业", "停车难"], "社区治理"),
    ("矛盾纠纷调解", ["人民调解", "邻里纠纷", "法律顾问", "调解室"], "平安建设"),
    ("志愿服务", ["志愿者队伍", "时间银行", "结对帮扶", "关爱留守儿童"], "志愿服务"),
    ("疫情防控", ["核酸检测", "居家隔离", "物资保障", "返乡人员"], "应急管理"),
    ("作风建设", ["吃拿卡要", "中梗阻", "首问负责", "限时办结"], "作风建设"),
    ("阵地建设", ["活动室开放", "经费保障", "铁将军把门", "门可罗雀"], "阵地保障"),
    ("考核评价", ["基层自评", "群众测评", "组织考评", "指标体系"], "考核评价"),
]
PLACES = ["柳岸社区", "桂香社区", "泉水村", "东湖街道", "石泉镇", "青禾区", "竹林村", "河畔社区"]
SOURCES = [
    ("当代党员", DocumentKind.ARTICLE),
    ("青禾组工", DocumentKind.EXPERIENCE),
    ("基层治理参考", DocumentKind.ARTICLE),
    ("青禾区委组织部", DocumentKind.POLICY),
    ("区委办公室", DocumentKind.POLICY),
    ("典型案例汇编", DocumentKind.TYPICAL_CASE),
    ("党员教育培训教材", DocumentKind.TRAINING),
]
TITLE_TEMPLATES = [
    "{place}：以{focus}推动{topic}走深走实",
    "{topic}的“{place}经验”",
    "关于进一步做好{topic}工作的通知",
    "{place}{focus}工作案例",
    "{topic}中的{focus}：做法与体会",
    "抓好{focus}，提升{topic}服务力",
    "{topic}培训讲义：{focus}怎么做",
    "从{focus}看{topic}的新变化",
]
OPENINGS = [
    "{place}坚持把{topic}作为服务群众的重要抓手，围绕群众最关心、最直接、最现实的利益问题，",
    "近年来，{place}聚焦{topic}中的难点堵点，",
    "为贯彻落实上级部署，切实做好{topic}工作，",
    "针对居民反映集中的{focus}问题，{place}党组织主动认领、靠前服务，",
]
MIDDLES = [
    "建立“{focus}”工作机制，明确责任人和办理时限，做到件件有着落、事事有回音。",
    "组织党员干部深入网格走访，收集意见建议{n}条，逐条建立台账、跟踪销号。",
    "整合辖区单位资源，引入社会组织参与，形成共建共治共享的格局。",
    "通过{focus}，群众满意度由{a}%提升到{b}%，相关诉求量同比下降{c}%。",
    "坚持问题导向，对推诿扯皮、{focus}不到位的情况及时督办、通报整改。",
    "把{focus}纳入年度考核，实行基层自评、群众测评、组织考评相结合。",
    "定期召开居民议事会，让群众的事由群众商量着办，{focus}得到有效推进。",
    "加强经费保障和人员配备，确保服务阵地常态开放、活动常态开展。",
]
CLOSINGS = [
    "下一步，将继续在{focus}上下功夫，推动{topic}取得更大成效。",
    "实践证明，只有把服务群众作为根本要求，{topic}才能真正落地见效。",
    "各单位要结合实际，认真抓好落实，确保{topic}各项任务按期完成。",
]
AUTHORS = ["王建国", "李秀英", "张志强", "刘芳", "陈明", "杨丽", "赵伟", "黄海燕", "周涛", "吴静"]


@dataclass(frozen=True)
class DemoDocument:
    title: str
    body: str
    authors: str
    source: str
    kind: str
    tags: list[str]
    published_on: dt.date
    visibility: str
    unit_index: int
    cited: int


def generate_documents(count: int, *, seed: int = 2026, start: int = 0) -> Iterator[DemoDocument]:
    """`count` varied documents; the same seed gives the same documents."""
    rng = random.Random(seed)  # noqa: S311  (demo text, not secrets)
    today = dt.date(2026, 6, 30)
    for index in range(start, start + count):
        topic, focuses, tag = TOPICS[rng.randrange(len(TOPICS))]
        focus = rng.choice(focuses)
        place = rng.choice(PLACES)
        source, kind = rng.choice(SOURCES)
        values = {"topic": topic, "focus": focus, "place": place}
        title = rng.choice(TITLE_TEMPLATES).format(**values)
        if index >= len(TITLE_TEMPLATES) * len(TOPICS):
            title += f"（{index % 97 + 1}）"
        paragraphs = []
        for _paragraph in range(rng.randint(3, 6)):
            sentences = [rng.choice(OPENINGS).format(**values)]
            for middle in rng.sample(MIDDLES, rng.randint(2, 4)):
                other = rng.choice(focuses)
                a = rng.randint(60, 85)
                sentences.append(
                    middle.format(
                        focus=other,
                        n=rng.randint(20, 400),
                        a=a,
                        b=a + rng.randint(5, 14),
                        c=rng.randint(10, 40),
                    )
                )
            paragraphs.append("".join(sentences))
        paragraphs.append(rng.choice(CLOSINGS).format(**values))
        yield DemoDocument(
            title=title,
            body="\n".join(paragraphs),
            authors=rng.choice(AUTHORS),
            source=source,
            kind=kind,
            tags=[tag, focus],
            published_on=today - dt.timedelta(days=rng.randint(0, 5 * 365)),
            visibility=rng.choices(
                [Visibility.PUBLIC, Visibility.STAFF, Visibility.UNIT], weights=[8, 1, 1]
            )[0],
            unit_index=rng.randrange(1000),
            cited=rng.choice([0, 0, 0, 1, 2, 3, 5, 8]),
        )


def bulk_store(
    documents: Sequence[DemoDocument], units: Sequence[tuple[int, str]], *, key_prefix: str
) -> int:
    """Insert documents and their search entries in bulk; returns how many were new."""
    rows = []
    for number, demo in enumerate(documents):
        unit_id, unit_path = units[demo.unit_index % len(units)] if units else (None, "")
        rows.append(
            Document(
                title=demo.title,
                body=demo.body,
                authors=demo.authors,
                source=demo.source,
                kind=demo.kind,
                tags="|" + "|".join(demo.tags) + "|",
                published_on=demo.published_on,
                year=demo.published_on.year,
                visibility=demo.visibility,
                unit_id=unit_id,
                unit_path=unit_path,
                uploader_name="demo",
                status=DocumentStatus.PUBLISHED,
                cited_seed=demo.cited,
                times_cited=demo.cited,
                import_key=f"{key_prefix}{number}",
            )
        )
    created = Document.objects.bulk_create(rows, batch_size=500)
    if not created or created[0].pk is None:
        keys = [row.import_key for row in rows]
        created = list(Document.objects.filter(import_key__in=keys).only("pk", "title", "body"))
    entries = []
    for document in created:
        indexed = index_text(document.title, document.body)
        entries.append(
            SearchEntry(
                document_id=document.pk,
                title_words=indexed.title_words,
                body_words=indexed.body_words,
                part_words=indexed.part_words,
            )
        )
    SearchEntry.objects.bulk_create(entries, batch_size=500)
    return len(created)


class Writer(Protocol):
    def write(self, msg: str, /) -> object: ...


def seed_library(stdout: Writer, *, count: int = 300) -> None:
    """A few hundred demo documents spread over the demo units (idempotent)."""
    from jiceng.orgs.models import OrgUnit

    if Document.objects.filter(import_key__startswith="demo:").exists():
        return
    units = list(
        OrgUnit.objects.filter(kind__in=["community", "village", "street", "township"])
        .order_by("path")
        .values_list("pk", "path")
    )
    with transaction.atomic():
        created = bulk_store(list(generate_documents(count)), units, key_prefix="demo:")
    stdout.write(_("Demo library: %(count)d documents created.") % {"count": created})
