"""Demo evaluation (基层服务力评价): a finished round for the last half-year and one in draft.

Built on the demo units and people of `jiceng.orgs.demo_data`, entirely through the evaluation
services, each step inside `clock.at(moment)` so the round's deadlines, submissions and
publication carry their historical times:

1. the default schemes, installed and published by the district administrator;
2. the **previous half-year's round**, played from draft to published: every community, village,
   street and township assesses itself with explanations and evidence, the street supervisors
   hand out one-use codes and residents answer with them, the district and the street
   supervisors rate the units below them, the results are computed and published, and one
   community appeals and is granted a correction;
3. the **current half-year's round** as a draft with its raters appointed, for the district
   administrator to open in the demo.

Each unit has a made-up service quality drawn from a seeded generator, so the same seed gives
the same demo and the units' grades and ranks differ. Running it again creates nothing: each
round is recognised by its name.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.calendar import WorkCalendar, get_calendar
from jiceng.evaluation import result_services, round_services, scheme_services, survey_services
from jiceng.evaluation.models import (
    Question,
    Result,
    Round,
    RoundUnit,
    Scheme,
    SchemeStatus,
    ScoringRule,
    SelfAssessment,
    Survey,
)
from jiceng.evaluation.round_services import IndicatorAnswer
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role, UnitKind

DEMO_SEED = 2026
DEFAULT_FAMILIES = ("community-default", "village-default", "street-default")
# The previous half-year is the last one that ended at least this long ago, so that its whole
# round — about seven weeks from opening to the appeal's decision — lies in the past.
SETTLE_DAYS = 75
LEVEL_1 = (UnitKind.STREET, UnitKind.TOWNSHIP)
LEVEL_2 = (UnitKind.COMMUNITY, UnitKind.VILLAGE)


# --- periods and names ---------------------------------------------------------------------
@dataclass(frozen=True)
class HalfYear:
    year: int
    first: bool  # 上半年 (January–June) or 下半年 (July–December)

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.first else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.first else date(self.year, 12, 31)

    @property
    def round_name(self) -> str:
        half = "上半年" if self.first else "下半年"
        return f"{self.year}年{half}基层服务力评价"

    def following(self) -> HalfYear:
        return HalfYear(self.year, False) if self.first else HalfYear(self.year + 1, True)

    @classmethod
    def containing(cls, day: date) -> HalfYear:
        return cls(day.year, day.month <= 6)

    def preceding(self) -> HalfYear:
        return HalfYear(self.year - 1, False) if self.first else HalfYear(self.year, True)


def demo_periods(today: date) -> tuple[HalfYear, HalfYear]:
    """(finished, draft): the last half-year long enough over, and the one after it."""
    finished = HalfYear.containing(today).preceding()
    while (today - finished.end).days < SETTLE_DAYS:
        finished = finished.preceding()
    return finished, finished.following()


# --- texts (written for this demo) ---------------------------------------------------------
SCALE_REASONS = (
    # (lowest share of the top, what the unit writes)
    (0.85, "上半年按计划推进，群众反映的问题做到件件有回音、事事有着落，台账完整。"),
    (0.65, "主要工作已经开展，但覆盖面和跟踪问效还有差距，部分记录不够完整。"),
    (0.0, "受人员调整影响，工作推进较慢，下半年将逐项补齐短板。"),
)
CHECKLIST_FRAME = "对照“{name}”逐项自查：{met}。"
CHECKLIST_MET = "{items}已落实，台账和照片作为佐证上传"
CHECKLIST_NONE = "各项工作尚在推进，暂未全部达到要求"
CHECKLIST_MISSING = "；{items}尚未完全到位，已列入下半年整改清单"
RATING_COMMENTS = (
    (0.85, "实地查看了服务阵地和工作台账，制度落实到位，群众评价好。"),
    (0.65, "各项工作基本落实，台账有待规范，个别事项跟踪不及时。"),
    (0.0, "抽查时阵地开放不正常，部分承诺事项未兑现，需要限期整改。"),
)
IMPROVEMENTS = (
    "希望晚上和周末也能找到人办事。",
    "反映的问题希望有人回个电话，告诉我们进展。",
    "楼道和小区环境卫生要经常管一管。",
    "老年人办事不会用手机，希望多一些上门服务。",
    "活动室经常锁着门，希望按时开放。",
)
SUGGESTIONS = (
    "网格员很负责，希望继续保持。",
    "建议多组织一些适合年轻人的活动。",
    "停车难的问题希望能统筹解决。",
    "希望公开栏的内容及时更新。",
)
APPEAL_GROUNDS = (
    "我社区上半年入户走访共四百余户次，纸质走访登记表因系统录入滞后，考评时未被采纳，"
    "组织考评中“入户走访”一项因此偏低。现将走访登记表扫描件报送街道，请求复核组织考评得分。"
)
APPEAL_DECISION = "经街道和区委组织部复核纸质走访登记表，走访记录属实，组织考评得分按复核结果调整。"


def _tier(share: float, texts: tuple[tuple[float, str], ...]) -> str:
    return next(text for lowest, text in texts if share >= lowest)


# --- a tiny PDF for the evidence files -----------------------------------------------------
def demo_pdf(title: str) -> bytes:
    """A one-page PDF reading `title` (ASCII), with a correct cross-reference table."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


# --- people as actors ----------------------------------------------------------------------
class _Actors:
    """The demo people's memberships as actors, by unit code and role."""

    def __init__(self, people: DemoPeople) -> None:
        self.people = people
        self.by_unit_role: dict[tuple[str, str], Actor] = {}
        memberships = (
            Membership.objects.active()
            .filter(user__username__in=list(people.users))
            .select_related("unit", "user")
        )
        found = {(m.user.username, m.unit.code, m.role): m for m in memberships}
        for (code, role), usernames in people.usernames_by_unit_role.items():
            for username in usernames:
                membership = found.get((username, code, role))
                if membership is not None:
                    self.by_unit_role.setdefault(
                        (code, role), Actor(user=membership.user, membership=membership)
                    )

    def get(self, unit: OrgUnit, role: str) -> Actor:
        try:
            return self.by_unit_role[(unit.code, role)]
        except KeyError:
            raise LookupError(f"no demo {role} in {unit.code}") from None

    @property
    def district(self) -> Actor:
        return self.get(self.people.district, Role.DISTRICT_ADMIN)

    def raters(self) -> list[Actor]:
        """The district administrator and every street or township supervisor."""
        streets = self.people.units_of_kind(*LEVEL_1)
        return [self.district, *(self.get(unit, Role.STREET_SUPERVISOR) for unit in streets)]

    def assessor(self, unit: OrgUnit) -> Actor:
        """Who fills in the unit's self-assessment: its secretary, or a street's supervisor."""
        role = Role.STREET_SUPERVISOR if unit.kind in LEVEL_1 else Role.BRANCH_SECRETARY
        return self.get(unit, role)

    def distributor(self, unit: OrgUnit, parent: OrgUnit) -> Actor:
        """Codes come from above: the street for its communities, the district for streets."""
        if unit.kind in LEVEL_1:
            return self.district
        return self.get(parent, Role.STREET_SUPERVISOR)


# --- the timeline --------------------------------------------------------------------------
class _Timeline:
    """Working-day moments after the period, in local time."""

    def __init__(self, calendar: WorkCalendar, period_end: date) -> None:
        self.calendar = calendar
        self.day = period_end

    def next_day(self, days: int = 1) -> date:
        for _i in range(days):
            self.day = self.calendar.next_working_day(self.day)
        return self.day

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=self.calendar.tz)


# --- seeding -------------------------------------------------------------------------------
@dataclass
class _Unit:
    round_unit: RoundUnit
    unit: OrgUnit
    parent: OrgUnit
    quality: float  # 0–1: how well the unit serves, the truth the demo's sources reflect
    inflates: bool  # rates itself far above what others see (做给别人看)


def _schemes(actor: Actor, people: DemoPeople) -> list[Scheme]:
    scheme_services.scheme_install_defaults(actor=actor, owner=people.district)
    return list(
        Scheme.objects.filter(family__in=DEFAULT_FAMILIES, status=SchemeStatus.PUBLISHED).order_by(
            "family"
        )
    )


def _appoint_raters(round_: Round, actors: _Actors) -> None:
    for rater in actors.raters():
        assert rater.membership is not None
        round_services.rater_appoint(
            actor=actors.district, round_=round_, membership=rater.membership
        )


def _qualities(round_units: list[RoundUnit], rng: random.Random) -> list[tuple[float, bool]]:
    """Evenly spread qualities in a seeded order; about one unit in six inflates itself."""
    count = len(round_units)
    spread = [0.42 + 0.56 * index / max(count - 1, 1) for index in range(count)]
    rng.shuffle(spread)
    return [(quality, rng.random() < 0.17) for quality in spread]


def _answer(indicator: dict[str, Any], share: float, rng: random.Random) -> IndicatorAnswer:
    """A score reflecting `share` (0–1) of what the indicator asks, by its rule."""
    rule = indicator["rule"]
    share = min(max(share, 0.0), 1.0)
    if rule == ScoringRule.CHECKLIST:
        items = list(indicator["rule_options"].get("items", []))
        met_count = min(len(items), round(len(items) * share))
        met = tuple(sorted(rng.sample(range(len(items)), met_count)))
        return IndicatorAnswer(items_met=met)
    if rule == ScoringRule.SCALE:
        top = int(indicator["rule_options"].get("top", 5))
        points = Decimal(round(share * top * 2)) / 2  # half points
        return IndicatorAnswer(points=min(points, Decimal(top)))
    # Deduction: findings against the unit, more where it serves worse.
    per_item = Decimal(str(indicator["rule_options"].get("per_item", 2)))
    findings = 0 if share >= 0.85 else 1 if share >= 0.6 else 2
    deducted = min(per_item * findings, Decimal(str(indicator["max_points"])))
    return IndicatorAnswer(points=deducted)


def _self_text(unit: OrgUnit, indicator: dict[str, Any], answer: IndicatorAnswer) -> str:
    if indicator["rule"] == ScoringRule.CHECKLIST:
        items = list(indicator["rule_options"].get("items", []))
        met = [items[i] for i in answer.items_met]
        missing = [item for i, item in enumerate(items) if i not in answer.items_met]
        text = CHECKLIST_MET.format(items="、".join(met)) if met else CHECKLIST_NONE
        if missing:
            text += CHECKLIST_MISSING.format(items="、".join(missing))
        return unit.name + CHECKLIST_FRAME.format(name=indicator["name"], met=text)
    top = float(indicator["rule_options"].get("top", 5))
    share = float(answer.points or 0) / top
    return f"{unit.name}本项自评{answer.points}分（满分{top:g}分）。{_tier(share, SCALE_REASONS)}"


def _self_assess(item: _Unit, actors: _Actors, moment: datetime, rng: random.Random) -> int:
    """Fill in, attach evidence to and submit one unit's self-assessment; returns the files."""
    round_unit = item.round_unit
    actor = actors.assessor(item.unit)
    assessment = SelfAssessment.objects.select_related("round_unit__round").get(
        round_unit=round_unit
    )
    indicators = round_services.indicators_for(round_unit.round, round_unit.unit_class, "self")
    own_view = min(1.0, item.quality + (0.35 if item.inflates else 0.08))
    answers: dict[str, IndicatorAnswer] = {}
    for indicator in indicators:
        drafted = _answer(indicator, own_view + rng.uniform(-0.05, 0.05), rng)
        answers[indicator["code"]] = IndicatorAnswer(
            points=drafted.points,
            items_met=drafted.items_met,
            explanation=_self_text(item.unit, indicator, drafted),
        )
    files = 0
    with clock.at(moment):
        round_services.self_assessment_save(actor=actor, assessment=assessment, answers=answers)
        for indicator in indicators:
            if not indicator["evidence_required"]:
                continue
            name = f"{item.unit.name}-{indicator['name']}-佐证材料.pdf"
            upload = SimpleUploadedFile(
                name,
                demo_pdf(f"Jiceng demo evidence {item.unit.code} {indicator['code']}"),
                content_type="application/pdf",
            )
            round_services.evidence_add(
                actor=actor,
                assessment=assessment,
                indicator_code=indicator["code"],
                upload=upload,
            )
            files += 1
    with clock.at(moment + timedelta(minutes=rng.randint(20, 90))):
        round_services.self_assessment_submit(actor=actor, assessment=assessment)
    return files


def _resident_answers(
    questions: dict[str, Question], quality: float, rng: random.Random
) -> dict[int, Any]:
    def level() -> int:
        return max(1, min(5, round(1 + 4 * quality + rng.gauss(0, 0.7))))

    overall = level()
    answers: dict[int, Any] = {
        questions["overall"].pk: overall,
        questions["aspects"].pk: [level() for _row in questions["aspects"].options],
    }
    raised = rng.random() < 0.45
    answers[questions["raised"].pk] = 0 if raised else 1
    if raised:
        roll = rng.random()
        answers[questions["solved"].pk] = (
            0 if roll < quality else 1 if roll < quality + 0.15 else rng.choice((2, 3))
        )
    services = questions["services"]
    used = sorted(rng.sample(range(len(services.options) - 1), rng.randint(1, 3)))
    answers[services.pk] = used
    if overall <= 3 and rng.random() < 0.6:
        answers[questions["improve"].pk] = rng.choice(IMPROVEMENTS)
    if rng.random() < 0.15:
        answers[questions["suggest"].pk] = rng.choice(SUGGESTIONS)
    return answers


def _survey_questions(round_: Round) -> dict[str, Question]:
    """The default questionnaire's questions by key (the keys are not stored, the order is)."""
    from jiceng.evaluation.default_survey import DEFAULT_QUESTIONS

    survey = Survey.objects.get(round=round_)
    questions = list(survey.questions.order_by("position", "pk"))
    if [q.kind for q in questions] != [item["kind"] for item in DEFAULT_QUESTIONS]:
        raise LookupError("the demo round's questionnaire is not the default one")
    return {item["key"]: q for item, q in zip(DEFAULT_QUESTIONS, questions, strict=True)}


def _residents(
    item: _Unit,
    actors: _Actors,
    questions: dict[str, Question],
    start: datetime,
    rng: random.Random,
) -> int:
    """Codes for a few buildings' households, most of them answered by phone."""
    answering = rng.randint(8, 15)
    issued = answering + rng.randint(3, 12)
    actor = actors.distributor(item.unit, item.parent)
    with clock.at(start):
        survey_services.round_unit_households_set(
            round_unit=item.round_unit, actor=actor, households=issued
        )
        _batch, tokens = survey_services.token_batch_create(
            round_unit=item.round_unit,
            actor=actor,
            count=issued,
            label=f"{item.unit.name}入户发放",
        )
    for number, token in enumerate(tokens[:answering]):
        moment = start + timedelta(days=1 + number % 8, hours=rng.uniform(2, 10))
        with clock.at(moment):
            survey_services.survey_answer(
                answers=_resident_answers(questions, item.quality, rng), token=token
            )
    return answering


def _rate(item: _Unit, rater: Actor, moment: datetime, rng: random.Random) -> bool:
    round_unit = item.round_unit
    if rater.membership is None or round_services.belongs_to(rater.membership.user_id, round_unit):
        return False
    rater_path = rater.membership.unit.path
    if not round_unit.unit_path.startswith(rater_path) or round_unit.unit_path == rater_path:
        return False
    indicators = round_services.indicators_for(round_unit.round, round_unit.unit_class, "superior")
    seen = item.quality + rng.gauss(0, 0.05)
    answers = {
        indicator["code"]: _answer(indicator, seen + rng.uniform(-0.05, 0.05), rng)
        for indicator in indicators
    }
    with clock.at(moment):
        rating = round_services.superior_rating_save(
            actor=rater,
            round_unit=round_unit,
            answers=answers,
            comment=_tier(seen, RATING_COMMENTS),
        )
        round_services.superior_rating_submit(actor=rater, rating=rating)
    return True


def _finished_round(
    half: HalfYear, people: DemoPeople, actors: _Actors, schemes: list[Scheme], seed: int
) -> Round:
    rng = random.Random(seed)  # noqa: S311 (made-up demo data, not secrets)
    calendar = get_calendar()
    district = actors.district
    line = _Timeline(calendar, half.end - timedelta(days=10))
    with clock.at(line.at(10)):
        round_ = round_services.round_create(
            actor=district,
            name=half.round_name,
            period_start=half.start,
            period_end=half.end,
            schemes=schemes,
        )
        _appoint_raters(round_, actors)
    line.day = half.end
    line.next_day()
    with clock.at(line.at(9)):
        round_services.round_open(actor=district, round_=round_)
    round_units = list(
        RoundUnit.objects.filter(round=round_).select_related("unit", "round").order_by("unit_path")
    )
    for round_unit in round_units:
        round_unit.round = round_  # one object, which the moves below keep current
    by_path = {unit.path: unit for unit in people.units.values()}
    units = [
        _Unit(
            round_unit=ru,
            unit=ru.unit,
            parent=by_path[ru.unit_path[: -OrgUnit.steplen]],
            quality=quality,
            inflates=inflates,
        )
        for ru, (quality, inflates) in zip(round_units, _qualities(round_units, rng), strict=True)
    ]

    # 1. Self-assessments over the first week of the stage.
    opened = line.day
    for item in units:
        day = opened
        for _step in range(rng.randint(1, 5)):
            day = calendar.next_working_day(day)
        _self_assess(item, actors, line.at(rng.randint(9, 16), rng.randrange(60), day), rng)
    line.next_day(8)
    with clock.at(line.at(9)):
        round_services.round_advance(actor=district, round_=round_)

    # 2. Residents answer by one-use code during the next two weeks.
    questions = _survey_questions(round_)
    start = line.at(10)
    for item in units:
        _residents(item, actors, questions, start, rng)
    line.next_day(11)
    with clock.at(line.at(9)):
        round_services.round_advance(actor=district, round_=round_)

    # 3. The district and the street supervisors rate the units below them.
    raters = actors.raters()
    rating_day = line.day
    for item in units:
        for rater in raters:
            day = calendar.next_working_day(rating_day)
            if rng.random() < 0.5:
                day = calendar.next_working_day(day)
            _rate(item, rater, line.at(rng.randint(9, 16), rng.randrange(60), day), rng)
    line.next_day(7)
    with clock.at(line.at(9)):
        round_services.round_advance(actor=district, round_=round_)
        result_services.results_compute(round_=round_, actor=district)
    line.next_day(2)
    with clock.at(line.at(10)):
        round_ = result_services.round_publish(round_=round_, actor=district)

    # 4. A community in the middle of the table appeals; the district grants a correction.
    _appeal(round_, units, actors, line)
    return round_


def _appeal(round_: Round, units: list[_Unit], actors: _Actors, line: _Timeline) -> None:
    results = {
        result.round_unit_id: result
        for result in Result.objects.filter(round_unit__round=round_, rank__isnull=False)
    }
    communities = [
        item
        for item in units
        if item.unit.kind == UnitKind.COMMUNITY
        and item.round_unit.pk in results
        and results[item.round_unit.pk].superior_score is not None
    ]
    communities.sort(key=lambda item: results[item.round_unit.pk].rank or 0)
    if not communities:
        return
    chosen = communities[len(communities) // 2]
    result = results[chosen.round_unit.pk]
    line.next_day()
    with clock.at(line.at(15, 20)):
        appeal = result_services.appeal_file(
            round_unit=chosen.round_unit,
            actor=actors.get(chosen.unit, Role.BRANCH_SECRETARY),
            grounds=APPEAL_GROUNDS,
        )
    line.next_day(2)
    corrected = min(100.0, round(float(result.superior_score or 0) + 4.0, 1))
    with clock.at(line.at(11)):
        result_services.appeal_decide(
            appeal=appeal,
            actor=actors.district,
            upheld=True,
            reason=APPEAL_DECISION,
            adjustments={"superior": corrected},
        )


def _draft_round(half: HalfYear, actors: _Actors, schemes: Sequence[Scheme]) -> Round:
    round_ = round_services.round_create(
        actor=actors.district,
        name=half.round_name,
        period_start=half.start,
        period_end=half.end,
        schemes=schemes,
    )
    _appoint_raters(round_, actors)
    return round_


def seed_evaluation(people: DemoPeople, stdout: Writer, *, seed: int = DEMO_SEED) -> int:
    """Create the demo rounds that are missing; returns how many were created."""
    finished, draft = demo_periods(timezone.localdate())
    organised = set(Round.objects.filter(organiser=people.district).values_list("name", flat=True))
    missing = [half for half in (finished, draft) if half.round_name not in organised]
    if not missing:
        stdout.write(
            _("Demo evaluation rounds already present: %(names)s; none created.")
            % {"names": "、".join((finished.round_name, draft.round_name))}
        )
        return 0
    actors = _Actors(people)
    with transaction.atomic():
        schemes = _schemes(actors.district, people)
        if finished in missing:
            done = _finished_round(finished, people, actors, schemes, seed)
            stdout.write(
                _(
                    "Demo evaluation: %(name)s published with results for %(count)d units and "
                    "one appeal decided."
                )
                % {
                    "name": done.name,
                    "count": Result.objects.filter(round_unit__round=done).count(),
                }
            )
        if draft in missing:
            _draft_round(draft, actors, schemes)
            stdout.write(
                _("Demo evaluation: %(name)s is a draft, ready to be opened by the district.")
                % {"name": draft.round_name}
            )
    return len(missing)
