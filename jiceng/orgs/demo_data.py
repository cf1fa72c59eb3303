"""Demo data: the fictional 青禾区 with its streets, townships, communities, villages and grids,
and people in every role (DESIGN.md §4, `make demo`).

All names, addresses and numbers are made up. The module has three parts:

1. plain data (units, headline accounts), to edit when the demo needs to change;
2. `demo_plan()`, which turns the data into the full list of units and people (pure, no database);
3. `seed_units_and_people()`, which creates what is missing through the services, as the system.

Later parts of the demo (cases, venues, evaluation) take the `DemoPeople` it returns, so they can
find units by code and people by unit and role.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.actors import SYSTEM
from jiceng.orgs import services
from jiceng.orgs.models import OrgUnit, User
from jiceng.orgs.roles import Role, UnitKind

# --- 1. data -------------------------------------------------------------------------------------

# Every demo account has this password; it is printed by `manage.py seed_demo` on purpose.
DEMO_PASSWORD = "Jiceng-demo-2026"  # noqa: S105

DISTRICT_CODE = "QH"
DISTRICT_NAME = "青禾区"
DISTRICT_ADDRESS = "青禾区青禾大道1号"
DISTRICT_PHONE = "0571-86010000"


@dataclass(frozen=True)
class CommunityData:
    """A community (社区) or village (村); one grid is made for each of `grid_areas`."""

    code: str  # the last part of the unit code, e.g. "LA" in QH-DH-LA
    name: str
    kind: str
    population: int
    address: str
    grid_areas: tuple[str, ...]


@dataclass(frozen=True)
class StreetData:
    """A street (街道) or township (镇) with the communities and villages under it."""

    code: str
    name: str
    kind: str
    address: str
    phone: str
    communities: tuple[CommunityData, ...]


C, V = UnitKind.COMMUNITY, UnitKind.VILLAGE

STREETS: tuple[StreetData, ...] = (
    StreetData(
        "DH", "东湖街道", UnitKind.STREET, "青禾区东湖街道湖滨路16号", "0571-86120000",
        (
            CommunityData("LA", "柳岸社区", C, 8600, "青禾区东湖街道柳岸路88号",
                          ("柳岸花园1—14幢", "柳岸花园15—28幢", "柳岸路沿街商铺及老旧小区")),
            CommunityData("GX", "桂香社区", C, 6200, "青禾区东湖街道桂香巷21号",
                          ("桂香苑", "金桂新村")),
            CommunityData("HP", "湖畔社区", C, 11800, "青禾区东湖街道湖滨路203号",
                          ("湖畔人家一期", "湖畔人家二期", "湖滨路商圈")),
            CommunityData("MZ", "明珠社区", C, 9400, "青禾区东湖街道明珠路55号",
                          ("明珠公寓", "东湖新苑", "明珠路以北片区")),
            CommunityData("WC", "文昌社区", C, 4700, "青禾区东湖街道文昌路7号",
                          ("文昌里老街", "学前巷片区")),
        ),
    ),
    StreetData(
        "XX", "西溪街道", UnitKind.STREET, "青禾区西溪街道溪畔路100号", "0571-86230000",
        (
            CommunityData("CY", "茶园社区", C, 7300, "青禾区西溪街道茶园路36号",
                          ("茶园新村东区", "茶园新村西区")),
            CommunityData("FL", "枫林社区", C, 12600, "青禾区西溪街道枫林大道168号",
                          ("枫林湾一区", "枫林湾二区", "枫林湾三区")),
            CommunityData("ZJ", "紫荆社区", C, 5900, "青禾区西溪街道紫荆路19号",
                          ("紫荆花园", "电机厂宿舍区")),
            CommunityData("XQ", "新桥社区", C, 13900, "青禾区西溪街道新桥路2号",
                          ("新桥南苑", "新桥北苑", "新桥农贸市场片区")),
            CommunityData("JX", "锦绣社区", C, 10200, "青禾区西溪街道锦绣路77号",
                          ("锦绣华庭", "锦绣天地", "西溪印象")),
        ),
    ),
    StreetData(
        "NS", "南山街道", UnitKind.STREET, "青禾区南山街道南山路300号", "0571-86340000",
        (
            CommunityData("ST", "松涛社区", C, 6800, "青禾区南山街道松涛路12号",
                          ("松涛苑", "南山林场宿舍")),
            CommunityData("XF", "学府社区", C, 14500, "青禾区南山街道学府路1号",
                          ("学府家园", "大学城教师公寓", "学府路沿街片区")),
            CommunityData("YQ", "云栖社区", C, 3600, "青禾区南山街道云栖路45号",
                          ("云栖小镇", "茶山自然村落")),
            CommunityData("FH", "凤凰社区", C, 9100, "青禾区南山街道凤凰山路66号",
                          ("凤凰城一期", "凤凰城二期", "凤凰山脚安置小区")),
        ),
    ),
    StreetData(
        "SQ", "石泉镇", UnitKind.TOWNSHIP, "青禾区石泉镇石泉街1号", "0571-86450000",
        (
            CommunityData("ZZ", "镇中社区", C, 5200, "青禾区石泉镇石泉街58号",
                          ("石泉老街", "镇中新村")),
            CommunityData("QS", "泉水村", V, 2300, "青禾区石泉镇泉水村泉水路9号",
                          ("上泉自然村", "下泉自然村")),
            CommunityData("QT", "桥头村", V, 1800, "青禾区石泉镇桥头村桥头8号",
                          ("桥头自然村", "桥西自然村")),
            CommunityData("ML", "梅岭村", V, 3400, "青禾区石泉镇梅岭村梅岭路1号",
                          ("上梅岭", "中梅岭", "下梅岭")),
            CommunityData("ZX", "竹溪村", V, 1200, "青禾区石泉镇竹溪村溪口15号",
                          ("竹溪口", "竹林坞")),
        ),
    ),
    StreetData(
        "BS", "白沙镇", UnitKind.TOWNSHIP, "青禾区白沙镇白沙路18号", "0571-86560000",
        (
            CommunityData("BS", "白沙村", V, 3900, "青禾区白沙镇白沙村江堤路3号",
                          ("白沙埠", "江堤", "新村安置点")),
            CommunityData("YM", "杨梅村", V, 2600, "青禾区白沙镇杨梅村杨梅岭12号",
                          ("杨梅岭", "杨家坞")),
            CommunityData("HT", "荷塘村", V, 2100, "青禾区白沙镇荷塘村荷花路6号",
                          ("前荷塘", "后荷塘")),
            CommunityData("QL", "青龙村", V, 950, "青禾区白沙镇青龙村青龙坞1号",
                          ("青龙坞", "龙潭")),
            CommunityData("DW", "大坞村", V, 1600, "青禾区白沙镇大坞村大坞口22号",
                          ("大坞口", "里坞", "茶场")),
        ),
    ),
)  # fmt: skip

# Communities this large have two staff members; smaller ones and villages have one.
TWO_STAFF_FROM_POPULATION = 8000

# Shares of a community's population living in each of its grids, by number of grids.
GRID_SHARES: dict[int, tuple[float, ...]] = {
    1: (1.0,),
    2: (0.54, 0.46),
    3: (0.38, 0.33, 0.29),
    4: (0.3, 0.26, 0.24, 0.2),
}

GRID_ORDINALS = ("第一", "第二", "第三", "第四")


@dataclass(frozen=True)
class Headline:
    """An account printed after seeding: short user name, fixed name and mobile number."""

    username: str
    display_name: str
    phone: str


# The accounts of the district itself: (user name, name, mobile, role, position).
DISTRICT_PEOPLE: tuple[tuple[Headline, str, str], ...] = (
    (Headline("sysadmin", "周启明", "13805710001"), Role.SYSTEM_ADMIN, "区委组织部信息中心"),
    (Headline("district", "林书涵", "13805710002"), Role.DISTRICT_ADMIN, "区委组织部组织科科长"),
    (Headline("inspector", "郑立新", "13805710003"), Role.DISCIPLINE_INSPECTOR, "区纪委监委室主任"),
)

# The systematic user names of the other headline accounts, and who they are instead.
HEADLINE_PEOPLE: dict[str, Headline] = {
    "insp-dh": Headline("inspector-dh", "韩雪松", "13805710004"),
    "sup-dh": Headline("street", "陈卫东", "13805710005"),
    "sup-sq": Headline("township", "杨建华", "13805710006"),
    "sec-dh-la": Headline("secretary", "王秀兰", "13805710007"),
    "staff-dh-la-1": Headline("staff", "李晓雯", "13805710008"),
    "grid-dh-la-01": Headline("grid", "张志刚", "13805710009"),
}

# Memberships beyond each person's own, so the unit switcher can be shown: the township's
# supervisor also serves a village as its first secretary (驻村第一书记).
EXTRA_MEMBERSHIPS: tuple[tuple[str, str, str, str], ...] = (
    ("township", "QH-SQ-QS", Role.BRANCH_SECRETARY, "驻村第一书记"),
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾"
)
GIVEN_NAMES = (
    "建国", "秀英", "海燕", "志强", "丽华", "文博", "晓东", "桂兰", "明辉", "雨涵",
    "俊杰", "淑芬", "国庆", "红梅", "春生", "玉兰", "德明", "晨曦", "思远", "静",
    "磊", "芳", "敏", "涛", "婷", "伟", "勇", "琳", "佳怡", "子航",
    "慧娟", "永康", "丽萍", "振华", "小燕", "学军", "梦瑶", "宏伟", "雅琴", "天宇",
    "金凤", "立群", "美玲", "浩然", "少华", "翠英", "一鸣", "嘉欣", "伟民", "冬梅",
    "凯", "琪", "鑫", "颖", "博文", "素珍", "长青", "若曦", "向阳", "保平",
    "爱华",
)  # fmt: skip

TITLES: dict[tuple[str, str], str] = {
    (Role.STREET_SUPERVISOR, UnitKind.STREET): "街道党工委副书记",
    (Role.STREET_SUPERVISOR, UnitKind.TOWNSHIP): "镇党委副书记",
    (Role.DISCIPLINE_INSPECTOR, UnitKind.STREET): "街道纪工委书记",
    (Role.DISCIPLINE_INSPECTOR, UnitKind.TOWNSHIP): "镇纪委书记",
    (Role.BRANCH_SECRETARY, UnitKind.COMMUNITY): "社区党委书记",
    (Role.BRANCH_SECRETARY, UnitKind.VILLAGE): "村党支部书记",
    (Role.COMMUNITY_STAFF, UnitKind.COMMUNITY): "社区专职工作者",
    (Role.COMMUNITY_STAFF, UnitKind.VILLAGE): "村委会委员",
    (Role.GRID_WORKER, UnitKind.COMMUNITY): "专职网格员",
    (Role.GRID_WORKER, UnitKind.VILLAGE): "兼职网格员",
}

# How the other accounts are named (after the unit codes without "QH-"), for the printed hint.
USERNAME_HINT = gettext_lazy(
    "sup-dh, insp-dh (streets, townships) · sec-dh-gx, staff-dh-gx-1 (communities, villages) · "
    "grid-dh-gx-01 (grids)"
)


# --- 2. the plan --------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitPlan:
    code: str
    parent_code: str | None
    name: str
    kind: str
    population: int
    address: str
    phone: str


@dataclass(frozen=True)
class MembershipPlan:
    unit_code: str
    role: str
    title: str


@dataclass(frozen=True)
class PersonPlan:
    username: str
    display_name: str
    phone: str
    memberships: tuple[MembershipPlan, ...]
    headline: bool


@dataclass(frozen=True)
class DemoPlan:
    units: tuple[UnitPlan, ...]  # parents before children
    people: tuple[PersonPlan, ...]


def _grid_populations(total: int, count: int) -> list[int]:
    shares = GRID_SHARES[count]
    populations = [round(total * share) for share in shares[:-1]]
    return [*populations, total - sum(populations)]


def _units() -> list[UnitPlan]:
    streets: list[UnitPlan] = []
    below: list[UnitPlan] = []
    for street in STREETS:
        street_code = f"{DISTRICT_CODE}-{street.code}"
        for number, community in enumerate(street.communities, start=1):
            community_code = f"{street_code}-{community.code}"
            below.append(
                UnitPlan(
                    code=community_code,
                    parent_code=street_code,
                    name=community.name,
                    kind=community.kind,
                    population=community.population,
                    address=community.address,
                    phone=f"{street.phone[:-4]}{number:02d}{number * 7 + 10:02d}",
                )
            )
            short_name = community.name.removesuffix("社区").removesuffix("村")
            place = f"{DISTRICT_NAME}{street.name}{community.name}"
            grid_populations = _grid_populations(community.population, len(community.grid_areas))
            for index, (area, population) in enumerate(
                zip(community.grid_areas, grid_populations, strict=True)
            ):
                below.append(
                    UnitPlan(
                        code=f"{community_code}-{index + 1:02d}",
                        parent_code=community_code,
                        name=f"{short_name}{GRID_ORDINALS[index]}网格",
                        kind=UnitKind.GRID,
                        population=population,
                        address=f"{place}{area}",
                        phone="",
                    )
                )
        streets.append(
            UnitPlan(
                code=street_code,
                parent_code=DISTRICT_CODE,
                name=street.name,
                kind=street.kind,
                population=sum(c.population for c in street.communities),
                address=street.address,
                phone=street.phone,
            )
        )
    district = UnitPlan(
        code=DISTRICT_CODE,
        parent_code=None,
        name=DISTRICT_NAME,
        kind=UnitKind.DISTRICT,
        population=sum(street.population for street in streets),
        address=DISTRICT_ADDRESS,
        phone=DISTRICT_PHONE,
    )
    # Siblings in code order: the tree keeps children sorted by code, so adding them in that
    # order never moves a sibling created before.
    ordered = sorted([*streets, *below], key=lambda unit: (unit.code.count("-"), unit.code))
    return [district, *ordered]


class _Names:
    """Varied, repeatable Chinese names and unique fictional 139 mobile numbers."""

    def __init__(self) -> None:
        self.count = 0
        self.phones: set[str] = set()

    def name(self) -> str:
        # 7 and 11 are prime to the pool sizes, so no name repeats before len × len people.
        self.count += 1
        surname = SURNAMES[(self.count * 7) % len(SURNAMES)]
        given = GIVEN_NAMES[(self.count * 11) % len(GIVEN_NAMES)]
        return surname + given

    def phone(self, username: str) -> str:
        """Derived from the user name, so adding people later leaves existing numbers alone."""
        number = int.from_bytes(hashlib.sha256(username.encode()).digest()[:8], "big") % 10**8
        while f"139{number:08d}" in self.phones:
            number = (number + 1) % 10**8
        phone = f"139{number:08d}"
        self.phones.add(phone)
        return phone


def _person(
    names: _Names, username: str, unit: UnitPlan, role: str, title_kind: str | None = None
) -> PersonPlan:
    title = TITLES[(role, title_kind or unit.kind)]
    headline = HEADLINE_PEOPLE.get(username)
    if headline is not None:
        names.phones.add(headline.phone)
        return PersonPlan(
            username=headline.username,
            display_name=headline.display_name,
            phone=headline.phone,
            memberships=(MembershipPlan(unit.code, role, title),),
            headline=True,
        )
    return PersonPlan(
        username=username,
        display_name=names.name(),
        phone=names.phone(username),
        memberships=(MembershipPlan(unit.code, role, title),),
        headline=False,
    )


def _short(code: str) -> str:
    """QH-DH-LA → dh-la: the unit code without the district, for user names."""
    return code.removeprefix(f"{DISTRICT_CODE}-").lower()


def demo_plan() -> DemoPlan:
    """Every unit and person of the demo, in the order they are created."""
    units = _units()
    by_code = {unit.code: unit for unit in units}
    names = _Names()
    names.phones.update(headline.phone for headline, _role, _title in DISTRICT_PEOPLE)
    people: list[PersonPlan] = [
        PersonPlan(
            username=headline.username,
            display_name=headline.display_name,
            phone=headline.phone,
            memberships=(MembershipPlan(DISTRICT_CODE, role, title),),
            headline=True,
        )
        for headline, role, title in DISTRICT_PEOPLE
    ]
    for unit in units:
        short = _short(unit.code)
        if unit.kind in (UnitKind.STREET, UnitKind.TOWNSHIP):
            people.append(_person(names, f"sup-{short}", unit, Role.STREET_SUPERVISOR))
            people.append(_person(names, f"insp-{short}", unit, Role.DISCIPLINE_INSPECTOR))
        elif unit.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE):
            people.append(_person(names, f"sec-{short}", unit, Role.BRANCH_SECRETARY))
            staff = 2 if unit.population >= TWO_STAFF_FROM_POPULATION else 1
            for number in range(1, staff + 1):
                people.append(_person(names, f"staff-{short}-{number}", unit, Role.COMMUNITY_STAFF))
        elif unit.kind == UnitKind.GRID:
            assert unit.parent_code is not None
            community_kind = by_code[unit.parent_code].kind
            people.append(
                _person(names, f"grid-{short}", unit, Role.GRID_WORKER, title_kind=community_kind)
            )
    for username, unit_code, role, title in EXTRA_MEMBERSHIPS:
        index = next(i for i, person in enumerate(people) if person.username == username)
        person = people[index]
        extra = MembershipPlan(unit_code, role, title)
        people[index] = PersonPlan(
            username=person.username,
            display_name=person.display_name,
            phone=person.phone,
            memberships=(*person.memberships, extra),
            headline=person.headline,
        )
    return DemoPlan(units=tuple(units), people=tuple(people))


# --- 3. seeding ----------------------------------------------------------------------------------
class Writer(Protocol):
    def write(self, msg: str, /) -> object: ...


@dataclass(frozen=True)
class HeadlineAccount:
    role: str
    unit: OrgUnit
    user: User
    title: str


@dataclass
class DemoPeople:
    """What the demo holds after seeding, for the later parts of the demo to build on."""

    password: str
    district: OrgUnit
    units: dict[str, OrgUnit]  # every demo unit, by code
    users: dict[str, User]  # every demo account, by user name
    headline: list[HeadlineAccount]
    created_units: int = 0
    created_users: int = 0
    created_memberships: int = 0
    # User names of the demo people by (unit code, role), as the plan gives them.
    usernames_by_unit_role: dict[tuple[str, str], list[str]] = field(
        default_factory=dict, repr=False
    )

    @property
    def created_anything(self) -> bool:
        return bool(self.created_units or self.created_users or self.created_memberships)

    def units_of_kind(self, *kinds: str) -> list[OrgUnit]:
        """The demo units of these kinds, in tree order."""
        return sorted((u for u in self.units.values() if u.kind in kinds), key=lambda u: u.path)

    def members(self, unit_code: str, role: str) -> list[User]:
        """The demo people given `role` in the unit with `unit_code` by the demo plan."""
        return [
            self.users[username]
            for username in self.usernames_by_unit_role.get((unit_code, role), [])
        ]


def _seed_units(plan: DemoPlan) -> int:
    """Create the units that do not exist yet; units that exist are left as they are."""
    existing = {
        unit.code: unit for unit in OrgUnit.objects.filter(code__in=[u.code for u in plan.units])
    }
    created = 0
    for unit in plan.units:
        if unit.code in existing:
            continue
        if unit.parent_code is None:
            made = services.unit_create_root(
                actor=SYSTEM,
                code=unit.code,
                name=unit.name,
                population=unit.population,
                address=unit.address,
                phone=unit.phone,
            )
        else:
            made = services.unit_create(
                actor=SYSTEM,
                parent=existing[unit.parent_code],
                code=unit.code,
                name=unit.name,
                kind=unit.kind,
                population=unit.population,
                address=unit.address,
                phone=unit.phone,
            )
        existing[unit.code] = made
        created += 1
    return created


def _seed_people(plan: DemoPlan, units: dict[str, OrgUnit]) -> tuple[dict[str, User], int, int]:
    """Create the accounts that do not exist yet; accounts that exist are left as they are."""
    existing = {
        user.username: user
        for user in User.objects.filter(username__in=[p.username for p in plan.people])
    }
    created_users = created_memberships = 0
    # Every demo account has the same published password: hashing it once (the default hasher
    # takes about half a second) keeps seeding a few seconds long and gives nothing away.
    shared_hash = ""
    for person in plan.people:
        if person.username in existing:
            continue
        shared_hash = shared_hash or make_password(DEMO_PASSWORD)
        first, *more = person.memberships
        user = services.user_create(
            actor=SYSTEM,
            username=person.username,
            display_name=person.display_name,
            password_hash=shared_hash,
            unit=units[first.unit_code],
            role=first.role,
            title=first.title,
            phone=person.phone,
        )
        created_users += 1
        created_memberships += 1
        for membership in more:
            services.membership_grant(
                actor=SYSTEM,
                user=user,
                unit=units[membership.unit_code],
                role=membership.role,
                title=membership.title,
            )
            created_memberships += 1
        existing[person.username] = user
    return existing, created_users, created_memberships


def seed_units_and_people(stdout: Writer) -> DemoPeople:
    """Create the demo units and people that are missing (by unit code and user name)."""
    plan = demo_plan()
    with transaction.atomic():
        created_units = _seed_units(plan)
        # Read the units again, so their paths and child counts are current.
        units = _fresh_units(plan)
        users, created_users, created_memberships = _seed_people(plan, units)
    members: dict[tuple[str, str], list[str]] = {}
    headline: list[HeadlineAccount] = []
    for person in plan.people:
        for membership in person.memberships:
            members.setdefault((membership.unit_code, membership.role), []).append(person.username)
            if person.headline:
                headline.append(
                    HeadlineAccount(
                        role=membership.role,
                        unit=units[membership.unit_code],
                        user=users[person.username],
                        title=membership.title,
                    )
                )
    people = DemoPeople(
        password=DEMO_PASSWORD,
        district=units[DISTRICT_CODE],
        units=units,
        users=users,
        headline=headline,
        created_units=created_units,
        created_users=created_users,
        created_memberships=created_memberships,
        usernames_by_unit_role=members,
    )
    if people.created_anything:
        stdout.write(
            _(
                "Demo units and people: created %(units)d units, %(users)d accounts and "
                "%(memberships)d memberships."
            )
            % {"units": created_units, "users": created_users, "memberships": created_memberships}
        )
    else:
        stdout.write(
            _("Demo data already present: %(units)d units and %(users)d accounts; nothing created.")
            % {"units": len(units), "users": len(users)}
        )
    return people


def _fresh_units(plan: DemoPlan) -> dict[str, OrgUnit]:
    return {
        unit.code: unit for unit in OrgUnit.objects.filter(code__in=[u.code for u in plan.units])
    }
