"""Demo supervision (督导) and rectification (整改).

Built on the demo units and people of `jiceng.orgs.demo_data`, entirely through the supervision
and rectification services, each step inside `clock.at(moment)`: the street and township
supervisors visit communities and villages below them, each finding becomes a rectification item,
and the items are played to different points: verified, verified after being returned once,
reported and waiting for the supervisor, returned, still open (some with progress), and one past
its deadline and escalated to the street, as the periodic job would have done.

The visits are listed in `VISITS`, with the number of working days before today they took
place, so the demo always looks recent. Every text was written for this demo. Running it again
creates nothing: a street or township whose supervisor has recorded visits is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from jiceng.conduct import rectification_services
from jiceng.conduct.models import Inspection, RectificationItem
from jiceng.conduct.supervision_services import FindingInput, finding_deadline, inspection_record
from jiceng.core import clock
from jiceng.core.actors import SYSTEM, Actor
from jiceng.evaluation.demo_data import demo_pdf
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.roles import Role
from jiceng.support.demo_data import Clock, DemoActors, demo_clock

# How each item goes after the visit.
VERIFIED = "verified"  # reported done, verified
RETURNED_THEN_VERIFIED = "returned_then_verified"  # reported, returned, reported again, verified
REPORTED = "reported"  # reported done, waiting for the supervisor
RETURNED = "returned"  # reported done, returned: the unit is at work again
OPEN = "open"  # not done yet (with some progress when `progress` is set)
ESCALATED = "escalated"  # some progress, past the deadline, escalated
STORIES = (VERIFIED, RETURNED_THEN_VERIFIED, REPORTED, RETURNED, OPEN, ESCALATED)


@dataclass(frozen=True)
class Finding:
    title: str
    note: str
    story: str
    done: str = ""  # what the unit reports when it is done
    partial: str = ""  # what it reports on the way
    progress: int = 0  # the progress of the partial report
    returned: str = ""  # why the supervisor sends it back
    again: str = ""  # what the unit reports after that
    weight: int = 1
    deadline_days: int = 10  # working days from the visit


@dataclass(frozen=True)
class Visit:
    street: str
    unit: str
    days_ago: int  # working days before today
    people_met: str
    checked: str
    findings: tuple[Finding, ...]


VISITS: tuple[Visit, ...] = (
    Visit(
        "QH-DH", "QH-DH-LA", 28,
        "王秀兰书记、社区专职工作者李晓雯、网格员张志刚",
        "党群服务中心开放和值班情况，诉求办理台账，消防安全，关爱对象走访记录。",
        (
            Finding(
                "党群服务中心门口未公示开放时间和值班人员",
                "服务中心大门只贴了“办事请到二楼”，没有开放时间、值班人员和联系电话，"
                "群众反映中午和傍晚经常找不到人。",
                VERIFIED,
                done="已在大门和一楼大厅张贴开放时间、每日值班人员及值班电话，节假日安排另行公告。",
            ),
            Finding(
                "诉求办理台账回访记录不全",
                "抽查10件已办结诉求，其中4件没有回访记录，2件回访时间早于办结时间，"
                "存在补记台账的情况。",
                ESCALATED,
                partial="已逐件补充回访，完成4件中的2件，另2件群众暂时联系不上，继续联系。",
                progress=40,
                weight=2,
            ),
            Finding(
                "活动室灭火器压力不足、超过检验期",
                "二楼活动室两具干粉灭火器压力表指针在红区，检验标签显示已过期半年。",
                RETURNED_THEN_VERIFIED,
                done="已联系消防器材经营部更换灭火器，附更换照片和检验合格标签。",
                returned="照片只显示一具灭火器，另一具是否已更换请补充说明。",
                again="已补充另一具灭火器的更换照片和检验合格标签。",
                deadline_days=8,
            ),
        ),
    ),
    Visit(
        "QH-DH", "QH-DH-LA", 4,
        "王秀兰书记、网格员张志刚",
        "关爱对象走访落实情况，党员活动室使用情况。",
        (
            Finding(
                "两户独居老人近一个月无走访记录",
                "关爱名单中两户独居老人最近一次走访已超过规定周期，网格员称电话联系过但未记录。",
                OPEN,
                weight=2,
                deadline_days=10,
            ),
            Finding(
                "党员活动室堆放杂物，影响正常使用",
                "活动室约一半面积堆放宣传展板和旧桌椅，桌椅上有积灰，近一个月没有活动记录。",
                REPORTED,
                done="已清理展板和旧桌椅，旧桌椅交街道统一处置，活动室恢复使用，本周已开展一次党员学习。",
            ),
        ),
    ),
    Visit(
        "QH-DH", "QH-DH-GX", 15,
        "桂香社区党委书记、社区专职工作者",
        "经费支出凭证，群众意见箱，服务窗口作风。",
        (
            Finding(
                "两笔活动经费支出凭证不全",
                "“邻里节”和主题党日两笔活动支出只有收据，缺少活动照片、签到表和采购比价记录。",
                RETURNED,
                done="已补齐两次活动的签到表和照片，附扫描件。",
                returned="仍缺少采购比价记录，请补充后再报。",
                weight=2,
                deadline_days=25,
            ),
            Finding(
                "意见箱长期未开启",
                "意见箱内积存多封群众来信，最早一封落款是三个月前，没有开箱登记。",
                VERIFIED,
                done="已当场开箱登记来信7封，逐一回复；今后每周一由值班人员开箱并登记。",
            ),
        ),
    ),
    Visit(
        "QH-XX", "QH-XX-CY", 12,
        "茶园社区党委书记、网格员",
        "服务大厅设施，网格走访底册。",
        (
            Finding(
                "服务大厅排队叫号系统故障未报修",
                "叫号机屏幕黑屏，工作人员说已坏了两周，群众只能口头排队。",
                VERIFIED,
                done="已报修并更换叫号机主板，系统恢复正常。",
            ),
            Finding(
                "网格入户走访底册未及时更新",
                "东区网格底册仍是去年的信息，新入住的12户没有登记。",
                OPEN,
                partial="东区网格已入户登记8户，剩余4户预约周末上门。",
                progress=30,
                weight=2,
                deadline_days=20,
            ),
        ),
    ),
    Visit(
        "QH-NS", "QH-NS-XF", 20,
        "学府社区党委书记、社区专职工作者",
        "值班制度落实，老年食堂运营。",
        (
            Finding(
                "周末值班电话无人接听",
                "周六上午两次拨打公示的值班电话均无人接听。",
                VERIFIED,
                done="值班电话已设置呼叫转移到值班人员手机，并在值班表上注明。",
            ),
            Finding(
                "老年食堂就餐登记不规范",
                "就餐登记表缺少老人签字，助餐补贴核对依据不足。",
                REPORTED,
                partial="已启用新的就餐登记表，正在补签上月记录。",
                progress=60,
                done="就餐登记改为刷助餐卡，纸质登记表由老人签字，上月记录已补签完毕。",
                deadline_days=25,
            ),
        ),
    ),
    Visit(
        "QH-SQ", "QH-SQ-QS", 9,
        "泉水村党支部书记、村委会委员",
        "村务公开，便民服务代办点。",
        (
            Finding(
                "村务公开栏内容未按季度更新",
                "公开栏内的财务收支还是上半年的，第三季度内容未公开。",
                OPEN,
                partial="第三季度财务收支已整理完毕，等村务监督委员会审核后张贴。",
                progress=50,
                deadline_days=15,
            ),
            Finding(
                "便民服务代办点无人值守",
                "工作日上午代办点锁门，门上没有留联系电话。",
                VERIFIED,
                done="代办点安排两名村干部轮流值守，门口公示代办员电话。",
                weight=2,
            ),
        ),
    ),
    Visit(
        "QH-BS", "QH-BS-YM", 6,
        "杨梅村党支部书记、网格员",
        "防汛物资，村级活动场所。",
        (
            Finding(
                "防汛物资台账与实物不符",
                "台账记载编织袋500只，实际清点不到200只，救生衣有3件破损。",
                OPEN,
                deadline_days=15,
            ),
            Finding(
                "村级活动场所屋顶漏水未维修",
                "活动室东侧屋顶雨天漏水，墙面发霉，部分图书受潮。",
                OPEN,
                partial="已请施工队查看，报价已报镇里审核。",
                progress=20,
                weight=2,
                deadline_days=20,
            ),
        ),
    ),
)  # fmt: skip


def _evidence(item: RectificationItem) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"整改佐证材料-{item.pk}.pdf",
        demo_pdf(f"Jiceng demo rectification evidence {item.unit.code} {item.pk}"),
        content_type="application/pdf",
    )


class _Play:
    def __init__(self, clock_: Clock, actors: DemoActors) -> None:
        self.clock = clock_
        self.actors = actors

    def report(
        self, actor: Actor, item: RectificationItem, day: date, progress: int, note: str
    ) -> None:
        evidence = [_evidence(item)] if progress == 100 else []
        with clock.at(self.clock.at(day, 16, 20)):
            rectification_services.rectification_report(
                actor=actor, item=item, progress=progress, note=note, evidence=evidence
            )

    def visit(self, plan: Visit) -> tuple[int, int]:
        supervisor = self.actors.get(plan.street, Role.STREET_SUPERVISOR)
        unit = self.actors.people.units[plan.unit]
        owner = self.actors.get(plan.unit, Role.COMMUNITY_STAFF)
        assert owner.user is not None
        visited_on = self.clock.back(plan.days_ago)
        findings = []
        for finding in plan.findings:
            days = finding.deadline_days
            if finding.story in (OPEN, RETURNED):
                # Items the unit is still working on are due after today.
                while finding_deadline(visited_on, days) <= self.clock.now + timedelta(days=2):
                    days += 5
            findings.append(
                FindingInput(
                    title=finding.title,
                    note=finding.note,
                    owner=owner.user,
                    deadline_days=days,
                    weight=finding.weight,
                )
            )
        with clock.at(self.clock.at(visited_on, 16)):
            inspection = inspection_record(
                actor=supervisor,
                unit=unit,
                visited_on=visited_on,
                people_met=plan.people_met,
                checked=plan.checked,
                findings=findings,
            )
        items = RectificationItem.objects.filter(
            source_kind="supervision",
            source_id__in=inspection.findings.values("pk"),
        ).select_related("unit")
        by_title = {item.title: item for item in items}
        for number, finding in enumerate(plan.findings):
            self.play(finding, by_title[finding.title], visited_on, number, supervisor, owner)
        return 1, len(plan.findings)

    def _day(self, start: date, days: int) -> date:
        return min(self.clock.after(start, days), self.clock.back(0))

    def play(
        self,
        finding: Finding,
        item: RectificationItem,
        visited_on: date,
        number: int,
        supervisor: Actor,
        owner: Actor,
    ) -> None:
        # Steps a few working days apart, the last one no later than today.
        steps = {
            VERIFIED: 2,
            RETURNED_THEN_VERIFIED: 4,
            REPORTED: 1 + bool(finding.partial),
            RETURNED: 2,
            OPEN: bool(finding.partial),
            ESCALATED: 1,
        }[finding.story]
        if not steps:
            return
        available = self.clock.calendar.working_days_between(visited_on, self.clock.today)
        gap = max(1, min(3, (available - 1) // max(steps, 1)))
        day = visited_on
        if finding.partial:
            day = self._day(day, gap)
            self.report(owner, item, day, finding.progress, finding.partial)
        if finding.story == ESCALATED:
            self._escalate(item)
            return
        if finding.story == OPEN:
            return
        day = self._day(day, gap)
        self.report(owner, item, day, 100, finding.done)
        if finding.story == REPORTED:
            return
        day = self._day(day, gap if finding.story != VERIFIED else 1)
        if finding.story in (RETURNED, RETURNED_THEN_VERIFIED):
            with clock.at(self.clock.at(day, 10, 30 + number)):
                rectification_services.rectification_return(
                    actor=supervisor, item=item, reason=finding.returned
                )
            if finding.story == RETURNED:
                return
            day = self._day(day, 1)
            self.report(owner, item, day, 100, finding.again)
            day = self._day(day, 1)
        with clock.at(self.clock.at(day, 11, 40 + number)):
            rectification_services.rectification_verify(
                actor=supervisor, item=item, note="现场复核，已整改到位。"
            )

    def _escalate(self, item: RectificationItem) -> None:
        item.refresh_from_db()
        # The periodic job runs every quarter of an hour after the close of business.
        moment: datetime = min(item.deadline + timedelta(minutes=15), self.clock.now)
        with clock.at(moment):
            rectification_services.rectification_escalate(actor=SYSTEM, item=item, now=moment)


def seed_supervision(people: DemoPeople, stdout: Writer) -> tuple[int, int]:
    """Record the demo visits of streets and townships that have none; (visits, items)."""
    streets = sorted({plan.street for plan in VISITS})
    done = set(
        Inspection.objects.filter(supervisor_unit__code__in=streets).values_list(
            "supervisor_unit__code", flat=True
        )
    )
    plans = [plan for plan in VISITS if plan.street not in done]
    if not plans:
        stdout.write(
            _("Demo supervision visits already present: %(count)d; none created.")
            % {"count": Inspection.objects.filter(supervisor_unit__code__in=streets).count()}
        )
        return 0, 0
    play = _Play(demo_clock(), DemoActors(people))
    visits = items = 0
    with transaction.atomic(), translation.override("zh-hans"):
        for plan in plans:
            made_visits, made_items = play.visit(plan)
            visits += made_visits
            items += made_items
    stdout.write(
        _(
            "Demo supervision: %(visits)d visits with %(items)d rectification items, from "
            "verified to overdue and escalated."
        )
        % {"visits": visits, "items": items}
    )
    return visits, items
