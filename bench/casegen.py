"""Benchmark data: a year of cases written straight into the table with `bulk_create`.

This is *benchmark data, not application data*. It skips the services on purpose (a million
`case_submit` calls would take hours): there are no timeline events, replies, feedback,
notifications or audit entries, and deadlines come from the working-day calendar only
approximately (the response deadline is computed for the start of the half hour). What it
does keep is what the staff lists read and filter on, consistent the way the services keep it:

- every community and village receives cases in proportion to its population, a quarter of
  them located in one of its grids (`area`, `area_path` = `area.path`);
- the case is held by the unit the category's responsible level routes it to, or by a grid it
  was dispatched to, or by a sibling it was transferred to (`current_unit`, `current_path` =
  `current_unit.path`);
- submission times spread over the past 12 months, busier on working days and office hours,
  slightly growing towards the present;
- the older a case, the likelier it is finished: most are closed (confirmed by the resident or
  without feedback), a few rejected or merged, recent ones resolved and awaiting feedback, and a
  realistic share open (a few per cent of the last weeks, a trickle of old stuck ones), some of
  them overdue and escalated;
- accepted/resolved/closed times, first receiver and resolving unit match the status.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

# How often residents raise each category, relative to 1 (the rest).
CATEGORY_WEIGHTS = {
    "rubbish": 9,
    "parking": 8,
    "noise": 7,
    "leaks": 6,
    "property-fees": 5,
    "stairwell-clutter": 5,
    "neighbours": 5,
    "road-damage": 4,
    "street-lights": 4,
    "lift": 4,
    "ebike-charging": 3,
    "greenery": 3,
    "odour": 3,
    "shared-repairs": 3,
    "pets": 3,
    "benefits": 2,
    "insurance": 2,
    "home-care": 2,
    "other-matters": 2,
    "other-questions": 2,
}
# (title, what the resident writes) by category; other categories get a generic text.
TEXTS: dict[str, list[tuple[str, str]]] = {
    "rubbish": [
        ("垃圾桶满溢无人清运", "楼下的垃圾桶已经满了两天没人清运，气味很大，夏天还招苍蝇"),
        ("建筑垃圾堆在路边", "有住户装修后把建筑垃圾堆在路边，占了半条人行道，晚上看不清容易绊倒"),
        ("垃圾分类亭损坏", "垃圾分类投放亭的门坏了关不上，野猫把垃圾扒得到处都是"),
    ],
    "parking": [
        ("消防通道被车辆占用", "每天晚上都有车停在消防通道上，救护车和消防车根本进不来"),
        ("小区车位不够乱停车", "小区车位太少，很多车停在绿化带和单元门口，老人推轮椅都过不去"),
    ],
    "noise": [
        ("夜间施工噪音扰民", "工地晚上十一点以后还在施工，噪音很大，孩子和老人都睡不好"),
        ("广场舞音响太吵", "广场舞的音响声音开得很大，一直跳到晚上九点半，影响学生写作业"),
    ],
    "leaks": [
        ("楼上漏水到我家天花板", "楼上卫生间漏水，我家天花板已经发霉掉皮，和楼上住户沟通没有结果"),
        ("外墙渗水", "下雨时外墙往屋里渗水，墙面一片片发黑，希望物业尽快维修"),
    ],
    "property-fees": [
        ("物业费上涨没有公示", "物业费突然上涨，没有开业主大会也没有公示收支，希望社区帮忙了解"),
    ],
    "stairwell-clutter": [
        ("楼道堆放杂物", "楼道里堆满了纸箱和旧家具，还有电瓶车，存在消防隐患"),
    ],
    "neighbours": [
        ("邻居占用公共区域", "邻居在公共走廊搭了鞋柜和花架，多次沟通无果，希望网格员协调"),
    ],
    "road-damage": [
        ("人行道砖块松动", "人行道上好几块地砖松动翘起，下雨天一踩就溅水，老人已经摔过一次"),
    ],
    "street-lights": [
        ("路灯不亮", "这一段路的路灯坏了一个多星期，晚上下班回家很黑，很不安全"),
    ],
    "lift": [
        ("电梯经常故障停运", "单元电梯这个月已经坏了三次，住高层的老人上下楼非常困难"),
    ],
    "ebike-charging": [
        ("电动车飞线充电", "有住户从楼上拉电线给电动车充电，电线就挂在窗外，很危险"),
    ],
}
PLACES = ("1幢", "3幢", "5幢", "7幢", "12幢", "东门", "南门", "北区", "菜场旁", "幼儿园门口")
SINCE = ("已经好几天了", "从上周开始", "反映过一次还没解决", "最近一直这样", "")
ASKS = ("请尽快处理", "希望社区帮忙协调", "麻烦安排人来看看", "谢谢", "盼早日解决")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许"
GIVEN = ("建国", "秀英", "海燕", "志强", "丽华", "晓东", "桂兰", "明辉", "淑芬", "春生", "敏", "伟")
CHANNELS = (("web", 45), ("phone", 30), ("open311", 12), ("walk_in", 8), ("import", 5))
HOUR_WEIGHTS = (
    1, 1, 1, 1, 1, 2, 4, 10, 22, 30, 30, 26, 14, 16, 26, 28, 26, 22, 14, 12, 10, 8, 4, 2
)  # fmt: skip
LEVEL_DEPTH = {"district": 1, "street": 2, "community": 3, "grid": 4}
OPEN = ("submitted", "accepted", "dispatched", "in_progress", "transfer_pending")


@dataclass(frozen=True)
class Unit:
    pk: int
    path: str
    depth: int
    kind: str
    name: str
    population: int


@dataclass(frozen=True)
class Cat:
    pk: int
    code: str
    name: str
    level: str
    respond_hours: int
    resolve_days: int


class Weighted:
    """Fast weighted choice: the cumulative weights are computed once."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class Generator:
    """Makes `Case` instances; `batches()` yields them in lists of `batch_size`."""

    def __init__(
        self,
        *,
        units: list[Unit],
        categories: list[Cat],
        now: datetime,
        respond_by: Callable[[datetime, int], datetime],
        resolve_by: Callable[[datetime, int], datetime],
        seed: int = 20260101,
        first_letters: str = TRACKING_ALPHABET,
    ) -> None:
        self.rng = random.Random(seed)
        self.first_letters = first_letters
        self.now = now
        self.by_path = {u.path: u for u in units}
        self.communities = [u for u in units if u.kind in ("community", "village")]
        self.community = Weighted(
            self.communities, [max(u.population, 500) for u in self.communities]
        )
        self.grids = {
            c.path: [u for u in units if u.depth == 4 and u.path.startswith(c.path)]
            for c in self.communities
        }
        self.siblings = {
            c.path: [s for s in self.communities if s.path[:-4] == c.path[:-4] and s != c]
            for c in self.communities
        }
        self.category = Weighted(categories, [CATEGORY_WEIGHTS.get(c.code, 1) for c in categories])
        self._respond_by = functools.lru_cache(maxsize=200_000)(respond_by)
        self._resolve_by = functools.lru_cache(maxsize=50_000)(resolve_by)
        self.codes: set[str] = set()
        days = [now - timedelta(days=d) for d in range(365)]
        # Working days and a slow growth make recent days busier.
        self.day = Weighted(
            days,
            [
                (1.0 if x.weekday() < 5 else 0.55) * (1.3 - 0.3 * d / 365)
                for d, x in enumerate(days)
            ],
        )
        self.hour = Weighted(range(24), HOUR_WEIGHTS)
        self.channel = Weighted([c for c, _ in CHANNELS], [w for _, w in CHANNELS])
        self.open_new = Weighted(OPEN, (30, 15, 25, 35, 3))
        self.open_old = Weighted(OPEN, (3, 15, 25, 35, 3))
        self.finished = Weighted(("closed", "rejected", "merged"), (90, 6, 4))

    # --- pieces -------------------------------------------------------------------------
    def tracking_code(self) -> str:
        while True:
            code = self.rng.choice(self.first_letters) + "".join(
                self.rng.choices(TRACKING_ALPHABET, k=11)
            )
            if code not in self.codes:
                self.codes.add(code)
                return code

    def submitted_at(self) -> datetime:
        day = self.day.pick(self.rng)
        hour = self.hour.pick(self.rng)
        moment = day.replace(hour=hour, minute=self.rng.randrange(60), second=0, microsecond=0)
        moment += timedelta(seconds=self.rng.random() * 60)
        return min(moment, self.now - timedelta(minutes=1))

    def respond_by(self, start: datetime, hours: int) -> datetime:
        half_hour = start.replace(minute=start.minute // 30 * 30, second=0, microsecond=0)
        return self._respond_by(half_hour, hours) + (start - half_hour)

    def resolve_by(self, start: datetime, days: int) -> datetime:
        return self._resolve_by(start.replace(hour=12, minute=0, second=0, microsecond=0), days)

    def text(self, category: Cat, area: Unit) -> tuple[str, str, str]:
        place = self.rng.choice(PLACES)
        options = TEXTS.get(category.code)
        if options:
            title, body = self.rng.choice(options)
        else:
            title = f"关于{category.name}的诉求"
            body = f"想反映一下{category.name}方面的问题，具体情况电话里可以再说明"
        since = self.rng.choice(SINCE)
        ask = self.rng.choice(ASKS)
        description = f"{area.name}{place}：{body}{'，' + since if since else ''}，{ask}。"
        return title, description, f"{area.name}{place}"

    def status(self, age_days: float) -> str:
        r = self.rng.random()
        open_share = (
            0.85
            if age_days < 1
            else 0.5
            if age_days < 3
            else 0.22
            if age_days < 7
            else 0.07
            if age_days < 15
            else 0.02
            if age_days < 30
            else 0.003
        )
        if r < open_share:
            return str((self.open_new if age_days < 1 else self.open_old).pick(self.rng))
        if age_days < 9 and self.rng.random() < 0.45:
            return "resolved"
        return str(self.finished.pick(self.rng))

    # --- one case -----------------------------------------------------------------------
    def case(self, model: type[Any]) -> Any:
        rng = self.rng
        community = self.community.pick(rng)
        grids = self.grids[community.path]
        area = rng.choice(grids) if grids and rng.random() < 0.25 else community
        category = self.category.pick(rng)
        depth = min(LEVEL_DEPTH[category.level], area.depth)
        first = self.by_path[area.path[: 4 * depth]]
        submitted = self.submitted_at()
        age = (self.now - submitted).total_seconds() / 86400
        status = self.status(age)
        respond_by = self.respond_by(submitted, category.respond_hours)
        resolve_by = self.resolve_by(submitted, category.resolve_days)

        holder, dispatched_by, pending, transfers = first, None, None, 0
        if status != "submitted":
            if first.depth == 3 and grids and rng.random() < (0.85 if area.depth == 4 else 0.3):
                holder = area if area.depth == 4 else rng.choice(grids)
                dispatched_by = first
            elif first.depth == 2 and rng.random() < 0.4:
                holder = self.by_path[area.path[:12]]
                dispatched_by = first
            if first.depth == 3 and rng.random() < 0.04 and self.siblings[first.path]:
                holder = rng.choice(self.siblings[first.path])
                transfers = 1
            if status == "transfer_pending":
                pending = rng.choice(self.siblings.get(holder.path) or [self.by_path[first.path]])
                transfers = max(transfers, 1)

        accepted_at = resolved_at = closed_at = feedback_due = None
        if status != "submitted":
            late = rng.random() < 0.08
            allowed = (respond_by - submitted).total_seconds()
            delay = allowed * (1 + rng.random()) if late else allowed * rng.random() * 0.9
            accepted_at = min(submitted + timedelta(seconds=delay), self.now)
        answered = False
        if status in ("resolved", "closed"):
            assert accepted_at is not None
            allowed = (resolve_by - accepted_at).total_seconds()
            late = rng.random() < 0.12
            spent = allowed * (1 + rng.random() * 2) if late else allowed * rng.random()
            resolved_at = min(accepted_at + timedelta(seconds=max(spent, 600)), self.now)
            feedback_due = resolved_at + timedelta(days=7)
            if status == "closed":
                answered = rng.random() < 0.75
                closed_at = min(
                    resolved_at + timedelta(days=rng.random() * 5) if answered else feedback_due,
                    self.now,
                )
        elif status in ("rejected", "merged"):
            closed_at = min(
                (accepted_at or submitted) + timedelta(hours=rng.random() * 8), self.now
            )
        close_reason = ("feedback" if answered else "no_feedback") if status == "closed" else ""

        overdue = (status in OPEN and self.now > resolve_by) or (
            resolved_at is not None and resolved_at > resolve_by
        )
        title, description, address = self.text(category, area)
        anonymous = rng.random() < 0.2
        channel = self.channel.pick(rng)
        located = rng.random() < 0.3
        return model(
            tracking_code=self.tracking_code(),
            category_id=category.pk,
            priority="urgent" if rng.random() < 0.03 else "normal",
            title=title,
            description=description,
            address=address,
            area_id=area.pk,
            area_path=area.path,
            latitude=Decimal(f"{30.2 + rng.random() * 0.2:.6f}") if located else None,
            longitude=Decimal(f"{120.0 + rng.random() * 0.3:.6f}") if located else None,
            channel=channel,
            external_id=f"HL{rng.randrange(10**9):09d}" if channel in ("import", "open311") else "",
            is_anonymous=anonymous,
            reporter_name="" if anonymous else rng.choice(SURNAMES) + rng.choice(GIVEN),
            reporter_phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            status=status,
            close_reason=close_reason,
            current_unit_id=holder.pk,
            current_path=holder.path,
            accepted_by_unit_id=first.pk if accepted_at is not None else None,
            dispatched_by_unit_id=dispatched_by.pk if dispatched_by else None,
            resolved_by_unit_id=holder.pk if resolved_at is not None else None,
            pending_transfer_to_id=pending.pk if pending else None,
            submitted_at=submitted,
            respond_by=respond_by,
            resolve_by=resolve_by,
            accepted_at=accepted_at,
            resolved_at=resolved_at,
            feedback_due=feedback_due,
            closed_at=closed_at,
            transfer_count=transfers,
            reopen_count=1 if status == "closed" and rng.random() < 0.03 else 0,
            escalation_count=1 if overdue and rng.random() < 0.8 else 0,
        )

    def batches(self, model: type[Any], total: int, batch_size: int) -> Iterator[list[Any]]:
        made = 0
        while made < total:
            size = min(batch_size, total - made)
            yield [self.case(model) for _ in range(size)]
            made += size
