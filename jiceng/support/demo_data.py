"""Demo guarantees (强化服务保障): fund ledgers, staff rosters, equipment and care lists.

Built on the demo units and people of `jiceng.orgs.demo_data`, entirely through the support
services, each step inside `clock.at(moment)` so entries, approvals and visits carry their
historical times. For every street, township, community and village of the demo:

1. **funds**: this year's allocations by source and about a dozen expenditures over the months,
   the larger ones approved by the secretary or the street (one rejected per community or
   village), one entry reversed with a reason, and a few recent ones still awaiting approval;
2. **staff and equipment**: the roster (the unit's demo people and a few helpers) with training
   records, and an inventory with check dates, some of them overdue;
3. **care lists** (communities and villages): households of different kinds paired with the
   grid workers and staff, visit histories, some visits overdue (柳岸社区 always has some, so the
   secretary's worklist shows them), and needs raised during visits, a few turned into requests.

Every text was written for this demo; names, addresses and numbers are made up. Each unit is
seeded from its own generator (the seed and its code), so the same seed gives the same demo.
Running it again creates nothing: a part is skipped for a unit that already has records of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiceng.cases.models import Category
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.calendar import WorkCalendar, get_calendar
from jiceng.evaluation.demo_data import demo_pdf
from jiceng.orgs.demo_data import GIVEN_NAMES, SURNAMES, DemoPeople, Writer
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role, UnitKind
from jiceng.support import care_services, fund_services, staff_services
from jiceng.support.care_services import CareDetails
from jiceng.support.models import (
    CareNeed,
    CareTarget,
    Employment,
    EquipmentCondition,
    EquipmentKind,
    ExpenseCategory,
    FundEntry,
    FundSource,
    StaffMember,
)
from jiceng.support.models.care import CareCategory, VisitForm, VisitFrequency

DEMO_SEED = 2026
LEVEL_1 = (UnitKind.STREET, UnitKind.TOWNSHIP)
LEVEL_2 = (UnitKind.COMMUNITY, UnitKind.VILLAGE)
# The community whose secretary, staff and grid worker are the headline demo accounts.
HEADLINE_UNIT = "QH-DH-LA"


# --- people as actors ----------------------------------------------------------------------
class DemoActors:
    """The demo people's memberships as actors, by unit code and role (first one planned)."""

    def __init__(self, people: DemoPeople) -> None:
        self.people = people
        memberships = (
            Membership.objects.active()
            .filter(user__username__in=list(people.users))
            .select_related("unit", "user")
        )
        found = {(m.user.username, m.unit.code, m.role): m for m in memberships}
        self.by_unit_role: dict[tuple[str, str], list[Actor]] = {}
        for (code, role), usernames in people.usernames_by_unit_role.items():
            for username in usernames:
                membership = found.get((username, code, role))
                if membership is not None:
                    self.by_unit_role.setdefault((code, role), []).append(
                        Actor(user=membership.user, membership=membership)
                    )

    def all(self, code: str, role: str) -> list[Actor]:
        return self.by_unit_role.get((code, role), [])

    def get(self, code: str, role: str) -> Actor:
        actors = self.all(code, role)
        if not actors:
            raise LookupError(f"no demo {role} in {code}")
        return actors[0]

    def keeper(self, unit: OrgUnit) -> Actor:
        """Who keeps the unit's books and lists: its first staff member, or the supervisor."""
        if unit.kind in LEVEL_1:
            return self.get(unit.code, Role.STREET_SUPERVISOR)
        return self.get(unit.code, Role.COMMUNITY_STAFF)

    def grid_workers(self, unit: OrgUnit) -> list[Actor]:
        """The grid workers of a community's or village's grids, in grid order."""
        grids = [
            grid
            for grid in self.people.units_of_kind(UnitKind.GRID)
            if grid.code.startswith(f"{unit.code}-")
        ]
        return [actor for grid in grids for actor in self.all(grid.code, Role.GRID_WORKER)]


# --- time ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    """Local moments on working days, never later than the real present."""

    calendar: WorkCalendar
    now: datetime

    @property
    def today(self) -> date:
        return self.now.astimezone(self.calendar.tz).date()

    def working(self, day: date) -> date:
        """`day` if it is a working day, else the next working day."""
        return day if self.calendar.is_working_day(day) else self.calendar.next_working_day(day)

    def back(self, days: int) -> date:
        """The working day `days` working days before today (0: today, or the next one)."""
        day = self.today
        count = 0
        while count < days:
            day -= timedelta(days=1)
            count += self.calendar.is_working_day(day)
        return day

    def after(self, day: date, days: int) -> date:
        for _i in range(days):
            day = self.calendar.next_working_day(day)
        return day

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(day, time(hour, minute), tzinfo=self.calendar.tz)
        return min(moment, self.now - timedelta(minutes=5))


def demo_clock() -> Clock:
    return Clock(get_calendar(), timezone.now().replace(microsecond=0))


def _rng(seed: int, part: str, code: str) -> random.Random:
    return random.Random(f"{seed}-{part}-{code}")  # noqa: S311 (made-up demo data)


def _pdf(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(title), content_type="application/pdf")


# --- 1. funds ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spend:
    """An expenditure the unit might make: amounts in yuan (low, high)."""

    category: str
    payee: str
    purpose: str
    low: int
    high: int


X = ExpenseCategory

# Small and middling expenditures, below the approval threshold (5,000 yuan by default).
EVERYDAY: tuple[Spend, ...] = (
    Spend(X.ACTIVITIES, "青禾印务有限公司", "主题党日活动宣传资料及横幅制作", 680, 2400),
    Spend(X.ACTIVITIES, "东湖文体用品商店", "“邻里节”活动奖品及场地布置", 1500, 3900),
    Spend(X.VENUE, "青禾机电维修部", "党群服务中心空调清洗及线路检修", 900, 2800),
    Spend(X.VENUE, "清源保洁服务有限公司", "活动室季度保洁及消毒", 1200, 2600),
    Spend(X.OFFICE, "文汇办公用品商行", "办公用品及打印耗材", 380, 1600),
    Spend(X.TRAINING, "青禾区委党校服务部", "网格员业务培训教材及资料", 600, 2200),
    Spend(X.CARE, "惠民连锁超市", "重阳节走访慰问高龄老人（米、油、牛奶）", 1800, 4600),
    Spend(X.CARE, "仁心大药房", "独居老人家庭药箱补充常用药品", 700, 1900),
    Spend(X.STAFF, "社区志愿服务队", "志愿者交通及误餐补贴", 1000, 3200),
    Spend(X.EQUIPMENT, "青禾数码城", "活动室无线话筒及音箱配件", 650, 2300),
    Spend(X.OTHER, "安顺消防器材经营部", "楼道灭火器年检及药剂更换", 800, 2600),
    Spend(X.ACTIVITIES, "湖滨茶艺社", "“红色茶话会”老党员座谈茶点", 300, 900),
)  # fmt: skip

# Larger ones, above the threshold: they wait for the secretary or the street.
LARGE: tuple[Spend, ...] = (
    Spend(X.EQUIPMENT, "青禾数码城", "党员活动室投影仪及电动幕布采购", 6800, 9800),
    Spend(X.CARE, "惠民连锁超市", "困难家庭冬季慰问物资（棉被、米油）", 5200, 8600),
    Spend(X.VENUE, "宏达装饰工程有限公司", "老年活动室地面防滑改造", 12000, 18600),
    Spend(X.EQUIPMENT, "青禾办公家具厂", "党群服务中心会议室桌椅更新", 7600, 11800),
    Spend(X.VENUE, "青禾机电维修部", "服务大厅照明及排队叫号系统更换", 5600, 9200),
)  # fmt: skip

# Asked for and refused: what a secretary should not pay for (改进作风).
REJECTED = (
    Spend(X.ACTIVITIES, "青禾旅游客运有限公司", "组织党员赴外地参观学习大巴租赁", 8600, 12800),
    Spend(X.OFFICE, "金座酒店", "年中工作总结会议餐费", 5400, 7200),
    Spend(X.OTHER, "锦程礼品公司", "节日纪念品采购", 6200, 9000),
)  # fmt: skip
REJECTION_NOTES = (
    "外出参观学习未列入年度计划，请按规定报街道审批后再安排。",
    "工作会议不得安排公款宴请，此笔支出不予同意。",
    "节日纪念品不属于服务群众经费的支出范围，请退回。",
)
APPROVAL_NOTES = (
    "经支委会研究，同意支出。",
    "同意。请将验收单和照片一并归档。",
    "已核对报价单，同意。",
    "同意，请按合同分期支付。",
)
STREET_APPROVAL_NOTES = (
    "街道已审核采购比价材料，同意。",
    "同意，纳入街道年度保障项目。",
)
DUPLICATE_REASON = "与{day}入账的同一张发票重复录入，予以冲销。"
WRONG_AMOUNT_REASON = "金额录入错误（发票金额为{right}元），冲销后按发票重新入账。"

SOURCE_NOTES: dict[str, str] = {
    FundSource.DISTRICT_BUDGET: "区级村社区服务群众专项经费，按常住人口核拨",
    FundSource.STREET_SUBSIDY: "街道年度党建工作补助",
    FundSource.PARTY_FEE_REBATE: "党费返还，用于党员教育和困难党员慰问",
    FundSource.SERVICE_FUND: "为民服务项目资金（第二批）",
    FundSource.SOCIAL_DONATION: "辖区企业捐赠，专项用于关爱独居老人",
}


@dataclass
class Tally:
    units: int = 0
    entries: int = 0
    staff: int = 0
    equipment: int = 0
    households: int = 0
    visits: int = 0
    cases: int = 0


def ledger_year(today: date) -> int:
    """The year the demo ledgers are kept for: this one, or last year's in January."""
    return today.year if today.month > 1 else today.year - 1


def _yuan(rng: random.Random, low: int, high: int) -> Decimal:
    """A plausible amount: whole tens mostly, sometimes with jiao and fen as on receipts."""
    amount = Decimal(rng.randrange(low, high + 1) // 10 * 10)
    if rng.random() < 0.3:
        amount += Decimal(rng.randrange(1, 100)) / 100
    return amount


def _allocations(unit: OrgUnit, rng: random.Random) -> list[tuple[str, Decimal]]:
    if unit.kind in LEVEL_1:
        return [
            (FundSource.DISTRICT_BUDGET, Decimal(50_000 + unit.population // 1000 * 500)),
            (FundSource.PARTY_FEE_REBATE, Decimal(rng.choice((8_000, 10_000, 12_000)))),
        ]
    base = Decimal(max(45_000, round(unit.population * 6, -3)))
    sources: list[tuple[str, Decimal]] = [
        (FundSource.DISTRICT_BUDGET, base),
        (FundSource.STREET_SUBSIDY, Decimal(rng.choice((20_000, 25_000, 30_000)))),
        (FundSource.PARTY_FEE_REBATE, Decimal(rng.randrange(3_000, 9_000, 500))),
    ]
    if rng.random() < 0.4:
        sources.append((FundSource.SOCIAL_DONATION, Decimal(rng.choice((5_000, 8_000, 10_000)))))
    return sources


def _spread(clock_: Clock, year: int, count: int, rng: random.Random) -> list[date]:
    """`count` working days spread over the year so far, from mid-January, in order."""
    start = date(year, 1, 15)
    end = min(clock_.back(3), date(year, 12, 31))
    span = max((end - start).days, 1)
    days = sorted(
        start + timedelta(days=span * (i + rng.uniform(0.1, 0.9)) // count) for i in range(count)
    )
    return [min(clock_.working(day), end) for day in days]


class _Ledger:
    def __init__(self, clock_: Clock, actors: DemoActors, seed: int) -> None:
        self.clock = clock_
        self.actors = actors
        self.seed = seed
        self.year = ledger_year(clock_.today)

    def seed_unit(self, unit: OrgUnit) -> int:
        rng = _rng(self.seed, "funds", unit.code)
        keeper = self.actors.keeper(unit)
        first = self.clock.working(date(self.year, 1, 8))
        allocations = _allocations(unit, rng)
        for number, (source, amount) in enumerate(allocations):
            day = first if number < 2 else self.clock.working(date(self.year, 3 + number, 10))
            day = min(day, self.clock.back(2))
            with clock.at(self.clock.at(day, 10, 5 * number)):
                fund_services.fund_allocation_record(
                    actor=keeper,
                    unit=unit,
                    year=self.year,
                    source=source,
                    amount=amount,
                    entry_date=day,
                    note=SOURCE_NOTES.get(source, ""),
                )
        if unit.kind in LEVEL_1:
            # A street's own spending stays below the threshold: nobody above approves it.
            spent = self._everyday(unit, keeper, rng, _spread(self.clock, self.year, 9, rng))
        else:
            spent = self._community_spending(unit, keeper, rng)
        return len(allocations) + spent

    def _expense(
        self,
        keeper: Actor,
        unit: OrgUnit,
        spend: Spend,
        day: date,
        amount: Decimal,
        *,
        voucher: bool,
        recorded: date | None = None,
    ) -> FundEntry:
        vouchers = []
        if voucher:
            vouchers = [_pdf(f"{spend.payee}发票.pdf", f"Jiceng demo invoice {unit.code} {day}")]
        with clock.at(self.clock.at(recorded or day, 15, 30)):
            return fund_services.fund_expense_record(
                actor=keeper,
                unit=unit,
                category=spend.category,
                amount=amount,
                payee=spend.payee,
                spent_on=day,
                purpose=spend.purpose,
                vouchers=vouchers,
            )

    def _reverse(self, keeper: Actor, entry: FundEntry, day: date, reason: str) -> None:
        with clock.at(self.clock.at(day, 9, 40)):
            fund_services.fund_entry_reverse(actor=keeper, entry=entry, reason=reason)

    def _everyday(self, unit: OrgUnit, keeper: Actor, rng: random.Random, days: list[date]) -> int:
        spends = rng.sample(EVERYDAY, k=len(days))
        entries = [
            self._expense(
                keeper,
                unit,
                spend,
                day,
                _yuan(rng, spend.low, spend.high),
                voucher=number == 0 or rng.random() < 0.3,
            )
            for number, (spend, day) in enumerate(zip(spends, days, strict=True))
        ]
        # One mistake, put right by a reversal a few days later.
        index = len(entries) // 3
        original, spend = entries[index], spends[index]
        noticed = min(self.clock.after(original.entry_date, rng.randint(2, 6)), self.clock.back(1))
        if rng.random() < 0.5:
            # The same invoice booked twice.
            recorded = min(self.clock.after(original.entry_date, 1), noticed)
            twice = self._expense(
                keeper,
                unit,
                spend,
                original.entry_date,
                original.amount,
                voucher=False,
                recorded=recorded,
            )
            self._reverse(
                keeper,
                twice,
                noticed,
                DUPLICATE_REASON.format(
                    day=f"{original.entry_date.month}月{original.entry_date.day}日"
                ),
            )
            return len(entries) + 2
        # A typing mistake in the amount: reversed, then booked again as the invoice says.
        right = original.amount
        wrong = right + 900 if right + 900 <= fund_services.approval_threshold() else right - 90
        typo = self._expense(keeper, unit, spend, original.entry_date, wrong, voucher=False)
        self._reverse(keeper, typo, noticed, WRONG_AMOUNT_REASON.format(right=f"{right:,.2f}"))
        return len(entries) + 2

    def _decide(
        self, approver: Actor, entry: FundEntry, day: date, note: str, *, approve: bool
    ) -> None:
        with clock.at(self.clock.at(day, 11, 15)):
            if approve:
                fund_services.fund_expense_approve(actor=approver, entry=entry, note=note)
            else:
                fund_services.fund_expense_reject(actor=approver, entry=entry, note=note)

    def _community_spending(self, unit: OrgUnit, keeper: Actor, rng: random.Random) -> int:
        days = _spread(self.clock, self.year, 13, rng)
        large_at = (2, 5, 8, 11)
        large_days = [days[i] for i in large_at]
        made = self._everyday(
            unit, keeper, rng, [day for i, day in enumerate(days) if i not in large_at]
        )
        secretary = self.actors.get(unit.code, Role.BRANCH_SECRETARY)
        supervisor = self.actors.get(unit.code.rsplit("-", 1)[0], Role.STREET_SUPERVISOR)
        large = rng.sample(LARGE, k=3)
        # Two approved (the larger of them by the street when it is a big project) ...
        for index, (spend, day) in enumerate(zip(large[:2], large_days[:2], strict=True)):
            amount = _yuan(rng, spend.low, spend.high)
            entry = self._expense(keeper, unit, spend, day, amount, voucher=True)
            by_street = index == 1 and amount > 10_000
            approver = supervisor if by_street else secretary
            notes = STREET_APPROVAL_NOTES if by_street else APPROVAL_NOTES
            decided = min(self.clock.after(day, rng.randint(1, 3)), self.clock.back(1))
            self._decide(approver, entry, decided, rng.choice(notes), approve=True)
        # ... one refused ...
        which = rng.randrange(len(REJECTED))
        refused = REJECTED[which]
        amount = _yuan(rng, refused.low, refused.high)
        entry = self._expense(keeper, unit, refused, large_days[2], amount, voucher=True)
        decided = min(self.clock.after(large_days[2], 1), self.clock.back(1))
        self._decide(secretary, entry, decided, REJECTION_NOTES[which], approve=False)
        # ... and the latest approved long ago, or still waiting where the demo shows it.
        spend = large[2]
        waiting = unit.code == HEADLINE_UNIT or rng.random() < 0.25
        day = self.clock.back(2) if waiting else large_days[3]
        amount = _yuan(rng, spend.low, spend.high)
        entry = self._expense(keeper, unit, spend, day, amount, voucher=True)
        if not waiting:
            decided = min(self.clock.after(day, 2), self.clock.back(1))
            self._decide(secretary, entry, decided, rng.choice(APPROVAL_NOTES), approve=True)
        return made + 4


# --- 2. staff and equipment ----------------------------------------------------------------
HELPERS: tuple[tuple[str, str], ...] = (
    # (position, employment) of the people who serve residents without a platform account
    ("社会工作者（持证社工）", Employment.FULL_TIME),
    ("公益性岗位人员", Employment.PART_TIME),
    ("党群服务中心值班员", Employment.PART_TIME),
    ("退休党员志愿者（楼道长）", Employment.PART_TIME),
)
VILLAGE_HELPERS: tuple[tuple[str, str], ...] = (
    ("村务监督委员会委员", Employment.PART_TIME),
    ("村级便民服务代办员", Employment.PART_TIME),
    ("乡村医生", Employment.PART_TIME),
)
STREET_HELPERS: tuple[tuple[str, str], ...] = (
    ("党建办公室科员", Employment.FULL_TIME),
    ("社会事务办公室科员", Employment.FULL_TIME),
    ("综合信息指挥室值班员", Employment.FULL_TIME),
)
TRAININGS = (
    ("基层党建业务培训（组织生活会规范）", "3"),
    ("网格化服务管理实务", "4"),
    ("12345热线工单办理规范及答复口径", "2"),
    ("应急救护及AED使用培训", "4"),
    ("反诈宣传业务培训", "1.5"),
    ("社会救助政策解读（低保、特困供养）", "2.5"),
    ("养老服务政策及居家养老服务补贴", "2"),
    ("消防安全及电动自行车充电管理", "1.5"),
    ("入户走访沟通技巧", "3"),
)
LEAVING_REASON = "合同期满，本人不再续聘。"


@dataclass(frozen=True)
class Kit:
    name: str
    kind: str
    quantity: tuple[int, int]
    every_months: int  # how often it is checked


EQUIPMENT: tuple[Kit, ...] = (
    Kit("办公电脑", EquipmentKind.COMPUTING, (3, 8), 12),
    Kit("多功能一体打印机", EquipmentKind.OFFICE, (1, 2), 12),
    Kit("党员活动室投影仪", EquipmentKind.AUDIO_VISUAL, (1, 1), 12),
    Kit("自动体外除颤器（AED）", EquipmentKind.MEDICAL, (1, 1), 6),
    Kit("干粉灭火器", EquipmentKind.SAFETY, (8, 24), 6),
    Kit("会议桌椅（套）", EquipmentKind.FURNITURE, (10, 40), 24),
    Kit("室外健身路径器材", EquipmentKind.FITNESS, (6, 12), 6),
    Kit("便民服务箱（血压计、轮椅等）", EquipmentKind.MEDICAL, (1, 2), 6),
    Kit("移动音响及无线话筒", EquipmentKind.AUDIO_VISUAL, (1, 2), 12),
)
WORN_NOTES = {
    EquipmentCondition.FAIR: "外观有磨损，功能正常。",
    EquipmentCondition.NEEDS_REPAIR: "有一台无法开机，已联系厂家上门维修。",
}


def _add_months(day: date, months: int) -> date:
    from jiceng.support.care_schedule import add_months

    return add_months(day, months)


class _Roster:
    def __init__(self, clock_: Clock, actors: DemoActors, seed: int) -> None:
        self.clock = clock_
        self.actors = actors
        self.seed = seed

    def _name(self, rng: random.Random) -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)

    def _phone(self, rng: random.Random) -> str:
        return f"137{rng.randrange(10**8):08d}"

    def seed_unit(self, unit: OrgUnit) -> tuple[int, int]:
        rng = _rng(self.seed, "roster", unit.code)
        keeper = self.actors.keeper(unit)
        today = self.clock.today
        moment = self.clock.at(self.clock.working(date(ledger_year(today), 1, 5)), 9)
        people: list[tuple[str, str, str, str]] = []  # name, position, employment, phone
        roles = (
            (Role.STREET_SUPERVISOR,)
            if unit.kind in LEVEL_1
            else (Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF)
        )
        for role in roles:
            for actor in self.actors.all(unit.code, role):
                assert actor.user is not None and actor.membership is not None
                people.append(
                    (
                        actor.user.display_name,
                        actor.membership.title or str(Role(role).label),
                        Employment.FULL_TIME,
                        actor.user.phone or "",
                    )
                )
        if unit.kind in LEVEL_2:
            for actor in self.actors.grid_workers(unit):
                assert actor.user is not None and actor.membership is not None
                people.append(
                    (
                        actor.user.display_name,
                        actor.membership.title,
                        Employment.FULL_TIME
                        if unit.kind == UnitKind.COMMUNITY
                        else Employment.PART_TIME,
                        actor.user.phone or "",
                    )
                )
        pool = {
            UnitKind.VILLAGE: VILLAGE_HELPERS,
            UnitKind.COMMUNITY: HELPERS,
        }.get(UnitKind(unit.kind), STREET_HELPERS)
        for position, kind in rng.sample(pool, k=2):
            people.append((self._name(rng), position, kind, self._phone(rng)))
        staff: list[StaffMember] = []
        with clock.at(moment):
            for name, position, employment, phone in people:
                joined = date(rng.randint(2012, ledger_year(today) - 1), rng.randint(1, 12), 1)
                staff.append(
                    staff_services.staff_add(
                        actor=keeper,
                        unit=unit,
                        name=name,
                        position=position,
                        employment=employment,
                        phone=phone,
                        joined_on=joined,
                    )
                )
        for member in staff:
            for topic, hours in rng.sample(TRAININGS, k=rng.randint(1, 2)):
                day = date(ledger_year(today), rng.randint(2, 10), rng.randint(1, 28))
                day = min(self.clock.working(day), self.clock.back(1))
                with clock.at(self.clock.at(day, 17)):
                    staff_services.staff_training_add(
                        actor=keeper, staff=member, date=day, topic=topic, hours=hours
                    )
        if unit.kind in LEVEL_2 and rng.random() < 0.3:
            left = min(self.clock.working(date(ledger_year(today), 6, 30)), self.clock.back(1))
            with clock.at(self.clock.at(left, 16)):
                staff_services.staff_leave(
                    actor=keeper, staff=staff[-1], left_on=left, reason=LEAVING_REASON
                )
        return len(staff), self._equipment(unit, keeper, rng)

    def _equipment(self, unit: OrgUnit, keeper: Actor, rng: random.Random) -> int:
        today = self.clock.today
        kits = rng.sample(EQUIPMENT, k=5)
        # About half the units let a check slip (the AED or the extinguishers first); the
        # headline community lets two slip, so its equipment page shows them.
        overdue = 2 if unit.code == HEADLINE_UNIT else (1 if rng.random() < 0.5 else 0)
        moment = self.clock.at(self.clock.back(1), 16, 30)
        for index, kit in enumerate(kits):
            late = index < overdue
            if late:
                last = _add_months(today, -kit.every_months - rng.randint(1, 2))
            else:
                last = _add_months(today, -rng.randint(0, kit.every_months - 1)) - timedelta(
                    days=rng.randint(1, 20)
                )
            last = max(last, date(2020, 1, 1))
            next_due = _add_months(last, kit.every_months)
            condition = rng.choices(
                (EquipmentCondition.GOOD, EquipmentCondition.FAIR, EquipmentCondition.NEEDS_REPAIR),
                (70, 22, 8),
            )[0]
            with clock.at(moment):
                staff_services.equipment_add(
                    actor=keeper,
                    unit=unit,
                    name=kit.name,
                    kind=kit.kind,
                    quantity=rng.randint(*kit.quantity),
                    condition=condition,
                    last_checked_on=last,
                    next_check_due=next_due,
                    note=WORN_NOTES.get(condition, ""),
                )
        return len(kits)


# --- 3. care lists -------------------------------------------------------------------------
@dataclass(frozen=True)
class Household:
    category: str
    notes: tuple[str, ...]
    findings: tuple[str, ...]
    needs: tuple[str, ...]
    frequency: str
    interval_days: int | None = None
    age: tuple[int, int] = (0, 0)


HOUSEHOLDS: tuple[Household, ...] = (
    Household(
        CareCategory.ELDERLY_ALONE,
        (
            "{age}岁，独居，子女在外地工作，患高血压，行动较慢。",
            "{age}岁，老伴去年去世，独自居住，耳背，需当面沟通。",
            "{age}岁，独居，有糖尿病史，每月需到社区卫生服务中心配药。",
        ),
        (
            "老人精神状态良好，血压药按时服用，已检查家中燃气阀门。",
            "帮老人清理冰箱里的过期食品，提醒夜间起床注意防滑。",
            "老人说卫生间灯不亮，已当场更换灯泡。",
            "陪老人聊天半小时，了解到其子女春节会回来，情绪较好。",
            "电话联系，老人说这几天腿疼没下楼，约好后天上门看看。",
            "送去社区老年食堂的助餐卡，教老人使用。",
        ),
        (
            "老人家中卫生间没有扶手，洗澡不方便，希望加装助浴扶手。",
            "老人希望每周能有人上门帮忙打扫一次卫生。",
            "老人反映楼道声控灯坏了，晚上上楼看不清。",
        ),
        VisitFrequency.EVERY_N_DAYS,
        14,
        (76, 92),
    ),
    Household(
        CareCategory.DISABLED,
        (
            "肢体二级残疾，需使用轮椅，与配偶同住。",
            "视力一级残疾，家属白天上班，白天独自在家。",
        ),
        (
            "核实残疾人两项补贴已按月到账。",
            "陪同家属咨询辅助器具适配，已预约区残联评估。",
            "检查轮椅刹车和轮胎，状况良好。",
            "了解到其希望参加社区手工坊，已登记。",
        ),
        (
            "单元门口台阶较高，轮椅进出困难，希望加装无障碍坡道。",
            "希望申请一台助视器。",
        ),
        VisitFrequency.MONTHLY,
    ),
    Household(
        CareCategory.LOW_INCOME,
        (
            "低保户，三口之家，户主因病无法工作，孩子读初中。",
            "低保边缘户，单亲家庭，母亲打零工。",
        ),
        (
            "告知低保年审需要准备的材料及时间。",
            "送去米、油等慰问物品，孩子学习情况良好。",
            "户主近期在做康复，已联系医保窗口咨询大病报销。",
            "母亲找到超市理货的工作，收入有所增加，已如实记录。",
        ),
        (
            "孩子下学期的校服和教辅费用有困难，希望申请教育救助。",
            "家里热水器坏了，希望帮忙联系便宜可靠的维修师傅。",
        ),
        VisitFrequency.MONTHLY,
    ),
    Household(
        CareCategory.HEALTH_OBSERVATION,
        (
            "术后居家康复观察，家属陪护。",
            "慢阻肺患者，居家吸氧，需关注用电安全。",
        ),
        (
            "电话询问体温及用药情况，无异常。",
            "协助预约社区卫生服务中心复诊。",
            "上门查看制氧机摆放位置，提醒远离明火。",
        ),
        ("希望家庭医生能上门随访一次。",),
        VisitFrequency.WEEKLY,
    ),
    Household(
        CareCategory.LEFT_BEHIND_CHILD,
        (
            "父母在外务工，孩子由祖母照看，读小学四年级。",
            "父亲在外地工地务工，母亲身体不好，孩子读初一。",
        ),
        (
            "孩子由祖母照看，学习正常，提醒放学路上注意交通安全。",
            "检查作业完成情况，和班主任通电话了解在校表现。",
            "孩子想参加社区“四点半课堂”，已帮忙报名。",
        ),
        ("祖母不会用手机，孩子的网课作业提交有困难，希望有志愿者帮忙。",),
        VisitFrequency.MONTHLY,
    ),
)
BUILDINGS = "一二三四五六七八九十"


class _CareLists:
    def __init__(self, clock_: Clock, actors: DemoActors, seed: int) -> None:
        self.clock = clock_
        self.actors = actors
        self.seed = seed
        self.categories = {
            category.code: category
            for category in Category.objects.filter(
                code__in=list(care_services.SUGGESTED_CASE_CATEGORY.values()), is_active=True
            )
        }

    def _address(self, unit: OrgUnit, street: str, rng: random.Random) -> str:
        if unit.kind == UnitKind.VILLAGE:
            return f"{street}{unit.name}{rng.randint(1, 68)}号"
        short = unit.name.removesuffix("社区")
        estate = rng.choice(("新村", "苑", "小区", "花园"))
        return (
            f"{street}{short}{estate}{rng.randint(1, 28)}幢"
            f"{rng.randint(1, 3)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        )

    def seed_unit(self, unit: OrgUnit) -> tuple[int, int, int]:
        rng = _rng(self.seed, "care", unit.code)
        keeper = self.actors.keeper(unit)
        grid_workers = self.actors.grid_workers(unit)
        staff = self.actors.all(unit.code, Role.COMMUNITY_STAFF)
        headline = unit.code == HEADLINE_UNIT
        street = self.actors.people.units[unit.code.rsplit("-", 1)[0]].name
        others = list(HOUSEHOLDS[1:])
        rng.shuffle(others)
        count = 5 if unit.kind == UnitKind.COMMUNITY else 4
        chosen = [HOUSEHOLDS[0], *others][:count]  # every list has an elderly person alone
        households = visits = cases = 0
        for number, household in enumerate(chosen):
            worker = grid_workers[number % len(grid_workers)] if grid_workers else staff[0]
            visitors = [worker, staff[number % len(staff)]]
            # Who is behind: two households on the headline list, about one in eight elsewhere;
            # the headline list's first household raised a need that became a request.
            behind = number in (2, 3) if headline else rng.random() < 0.12
            raise_case = number == 0 if headline else rng.random() < 0.06
            made_visits, made_case = self._household(
                unit,
                keeper,
                household,
                visitors,
                rng,
                address=self._address(unit, street, rng),
                behind=behind,
                raise_case=raise_case,
            )
            households += 1
            visits += made_visits
            cases += made_case
        return households, visits, cases

    def _household(
        self,
        unit: OrgUnit,
        keeper: Actor,
        household: Household,
        visitors: list[Actor],
        rng: random.Random,
        *,
        address: str,
        behind: bool,
        raise_case: bool,
    ) -> tuple[int, int]:
        today = self.clock.today
        interval = household.interval_days or (
            7 if household.frequency == VisitFrequency.WEEKLY else 30
        )
        weeks_on_list = 5 if household.frequency == VisitFrequency.WEEKLY else rng.randint(10, 18)
        listed_on = self.clock.working(today - timedelta(weeks=weeks_on_list))
        age = rng.randint(*household.age) if household.age[1] else 0
        details = CareDetails(
            category=household.category,
            name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
            address=address,
            phone=f"138{rng.randrange(10**8):08d}" if rng.random() < 0.8 else "",
            id_last4=f"{rng.randrange(1000):03d}{rng.choice('0123456789X')}",
            notes=rng.choice(household.notes).format(age=age),
            frequency=household.frequency,
            interval_days=household.interval_days,
            first_due_on=listed_on + timedelta(days=min(interval, 7)),
        )
        members = [actor.membership for actor in visitors if actor.membership is not None]
        with clock.at(self.clock.at(listed_on, 10)):
            target = care_services.care_target_create(
                actor=keeper, unit=unit, details=details, responsible=members
            )
        # Visits roughly on schedule; a household that is behind was last seen long ago.
        stop = today - timedelta(days=interval + rng.randint(3, 12)) if behind else today
        day = details.first_due_on or listed_on
        day = day - timedelta(days=rng.randint(0, 2))
        visits: list[tuple[date, Actor]] = []
        while day <= stop and day < today:
            visitor = visitors[len(visits) % len(visitors)]
            visits.append((day, visitor))
            day += timedelta(days=interval - rng.randint(0, 3))
        if raise_case and (not visits or visits[-1][0] < self.clock.back(2)):
            visits.append((self.clock.back(1), visitors[0]))
        made_case = 0
        for index, (day, visitor) in enumerate(visits):
            last = index == len(visits) - 1
            needs = []
            if last and raise_case:
                needs = [household.needs[0]]
            elif rng.random() < 0.12:
                needs = [rng.choice(household.needs)]
            form = VisitForm.PHONE if rng.random() < 0.2 else VisitForm.HOME
            findings = rng.choice(household.findings)
            with clock.at(self.clock.at(day, rng.randint(9, 16), rng.randrange(60))):
                visit = care_services.care_visit_record(
                    actor=visitor,
                    target=target,
                    visited_on=day,
                    form=form,
                    findings=findings,
                    needs=needs,
                )
            if last and raise_case:
                made_case = self._raise(visitor, visit.pk, household, day)
        return len(visits), made_case

    def _raise(self, actor: Actor, visit_id: int, household: Household, day: date) -> int:
        category = self.categories.get(
            care_services.SUGGESTED_CASE_CATEGORY[CareCategory(household.category)]
        )
        if category is None:
            return 0
        need = CareNeed.objects.filter(visit_id=visit_id).select_related("visit__target").get()
        with clock.at(self.clock.at(day, 17, 10)):
            care_services.care_need_raise_case(actor=actor, need=need, category=category)
        return 1


# --- seeding -------------------------------------------------------------------------------
def _units_without(
    model: type[FundEntry | StaffMember | CareTarget], units: list[OrgUnit]
) -> list[OrgUnit]:
    present = set(model.objects.filter(unit__in=units).values_list("unit_id", flat=True))
    return [unit for unit in units if unit.pk not in present]


def seed_support(people: DemoPeople, stdout: Writer, *, seed: int = DEMO_SEED) -> Tally:
    """Create the funds, rosters, equipment and care lists the demo units are missing."""
    units = people.units_of_kind(*LEVEL_1, *LEVEL_2)
    communities = [unit for unit in units if unit.kind in LEVEL_2]
    tally = Tally()
    need_funds = _units_without(FundEntry, units)
    need_roster = _units_without(StaffMember, units)
    need_care = _units_without(CareTarget, communities)
    if not (need_funds or need_roster or need_care):
        stdout.write(
            _(
                "Demo fund ledgers, rosters and care lists already present for %(count)d units; "
                "none created."
            )
            % {"count": len(units)}
        )
        return tally
    actors = DemoActors(people)
    clock_ = demo_clock()
    with transaction.atomic(), translation.override("zh-hans"):
        ledger = _Ledger(clock_, actors, seed)
        for unit in need_funds:
            tally.entries += ledger.seed_unit(unit)
        roster = _Roster(clock_, actors, seed)
        for unit in need_roster:
            staff, equipment = roster.seed_unit(unit)
            tally.staff += staff
            tally.equipment += equipment
        care = _CareLists(clock_, actors, seed)
        for unit in need_care:
            households, visits, cases = care.seed_unit(unit)
            tally.households += households
            tally.visits += visits
            tally.cases += cases
    tally.units = len({unit.pk for unit in (*need_funds, *need_roster, *need_care)})
    stdout.write(
        _(
            "Demo guarantees: %(entries)d ledger entries, %(staff)d staff and %(equipment)d "
            "pieces of equipment for %(units)d units; %(households)d households on care lists "
            "with %(visits)d visits and %(cases)d needs turned into requests."
        )
        % {
            "entries": tally.entries,
            "staff": tally.staff,
            "equipment": tally.equipment,
            "units": tally.units,
            "households": tally.households,
            "visits": tally.visits,
            "cases": tally.cases,
        }
    )
    return tally
