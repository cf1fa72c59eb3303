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
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from jiceng.conduct import misconduct_services, rectification_services
from jiceng.conduct.misconduct_models import MisconductReport
from jiceng.conduct.models import Inspection, RectificationItem
from jiceng.conduct.supervision_services import FindingInput, finding_deadline, inspection_record
from jiceng.core import clock
from jiceng.core.actors import SYSTEM, Actor
from jiceng.evaluation.demo_data import demo_pdf
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Role
from jiceng.support.demo_data import Clock, DemoActors, demo_clock

# How each item goes after the visit.
VERIFIED = "verified"  # reported done, verified
RETURNED_THEN_VERIFIED = "returned_then_verified"  # reported, returned, reported again, verified
REPORTED = "reported"  # reported done, waiting for the supervisor
RETURNED = "returned"  # reported done, returned: the unit is at work again
OPEN = "open"  # not done yet (with some progress when `progress` is set)
ESCALATED = "escalated"  # some progress, past the deadline, escalated


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


# --- misconduct reports (作风问题举报) -------------------------------------------------------
# Each report is filed by a resident some working days ago and then handled by the discipline
# inspectors above the unit concerned, step by step, up to the state it is left in.
NEW = "new"  # just filed, waiting for the inspectors
UNDER_WAY = "under_way"  # accepted, an investigation note and a first answer
DONE = "done"  # accepted, investigated, concluded with an outcome and answered
OUT_OF_SCOPE = "out_of_scope"  # not in scope, with the reason


@dataclass(frozen=True)
class Report:
    unit: str
    kind: str
    details: str
    story: str
    days_ago: int
    person: str = ""
    name: str = ""  # a named report when set (with `phone`)
    phone: str = ""
    passphrase: str = "demo-举报-2026"  # noqa: S105 (a made-up resident's, printed on seeding)
    note: str = ""  # the inspectors' investigation note
    answer: str = ""  # the reply the reporter reads
    outcome: str = ""
    action: str = ""
    reason: str = ""  # why it is not in scope
    info: str = ""  # what the reporter adds after filing


MISCONDUCT: tuple[Report, ...] = (
    Report(
        "QH-DH-LA",
        "extortion",
        "本月10日上午我到社区服务大厅开居住证明，窗口一位戴眼镜的男工作人员说材料不全，"
        "让我“表示表示”就可以先办，还暗示可以微信转账。我没有给，证明至今没开出来。",
        NEW,
        1,
        person="服务大厅窗口男工作人员（戴眼镜）",
    ),
    Report(
        "QH-DH-GX",
        "shirking",
        "金桂新村5幢楼顶漏水，找社区说归物业管，找物业说要社区出证明才能动用维修资金，"
        "两边来回跑了四趟，已经拖了一个多月，家里墙皮都泡掉了。",
        UNDER_WAY,
        9,
        name="刘桂兰",
        phone="13905718801",
        note="已调阅该户诉求记录和社区工作台账，约谈社区分管副主任，待物业补充说明。",
        answer="您反映的情况已受理，街道纪工委正在核查，核查结束后会在这里答复您。",
        info="补充一下：物业经理说过“社区不盖章谁也没办法”，这是第三次去的时候说的。",
    ),
    Report(
        "QH-DH-HP",
        "obstruction",
        "去社区盖章办老年优待证，工作人员一直在玩手机，让我在外面等了一个多小时，"
        "问了两次都说“急什么，没看见在忙吗”，最后说盖章的人不在，让我明天再来。",
        DONE,
        24,
        person="社区值班人员",
        note="调取当日大厅监控并与当班人员谈话，情况基本属实。",
        answer="经核查，您反映的问题属实。街道已对当班人员进行批评教育并责令书面检查，"
        "社区已调整值班安排，保证工作时间有人盖章。感谢您的监督。",
        outcome="substantiated",
        action="对当班人员批评教育、责令书面检查；社区调整盖章值班安排并公示。",
        info="补充：那天是下午两点多去的，大厅里只有她一个人。",
    ),
    Report(
        "QH-DH-MZ",
        "falsification",
        "明珠社区上个月的“走访困难户”照片，我家老人根本没人来过，照片是在社区办公室门口拍的，"
        "怀疑是为了应付检查补的台账。",
        DONE,
        31,
        name="陈建平",
        phone="13605718823",
        note="核对走访登记、照片原始文件和网格员轨迹，并电话回访该户。",
        answer="经核查，社区于当月18日已上门走访您家，当时老人在家，照片为离开前在楼下补拍。"
        "未发现弄虚作假，但已要求社区今后走访留存现场记录。如有异议可补充材料。",
        outcome="not_substantiated",
        action="未发现弄虚作假；要求社区规范走访记录，现场照片须在户内拍摄并注明时间。",
    ),
    Report(
        "QH-DH-WC",
        "other",
        "小区门口的共享单车乱停放太多，挡住了出入口，希望有人管一管。",
        OUT_OF_SCOPE,
        14,
        reason="您反映的是市容管理问题，不属于作风问题举报范围。请通过“我要反映”提交诉求，"
        "社区会派单处理。",
    ),
    Report(
        "QH-XX-XQ",
        "extortion",
        "新桥农贸市场摊位续租时，社区有人说交500元“协调费”可以保留原来的位置，"
        "不交就重新排队。好几户都交了，没有收据。",
        DONE,
        40,
        person="社区负责市场协调的工作人员",
        note="走访摊主六户，其中两户确认交过钱；调取社区收费台账，无相应收款记录。",
        answer="经核查，您反映的问题部分属实：有工作人员以个人名义收取费用，已责令全额退还，"
        "并移交街道纪工委进一步处理。摊位续租按公开规则办理，不收取任何额外费用。",
        outcome="partly",
        action="责令退还所收费用；对相关人员立案审查；市场摊位续租规则在社区公示栏公开。",
    ),
    Report(
        "QH-XX",
        "shirking",
        "电机厂宿舍加装电梯的申请，街道城建科半年来一直说“等研究”，"
        "每次去都换一个人接待，谁也说不清卡在哪一步。",
        UNDER_WAY,
        6,
        name="黄志强",
        phone="13805719906",
        note="已向城建科调取该申请的办理记录，正在核对各环节时间。",
        answer="您的举报已受理，区纪委监委正在核查，请留意这里的答复。",
    ),
)


def _file_demo(plan: Report, stamp: datetime) -> tuple[MisconductReport, str]:

    unit = OrgUnit.objects.get(code=plan.unit)
    with clock.at(stamp):
        report, _code = misconduct_services.misconduct_file(
            kind=plan.kind,
            unit=unit,
            person=plan.person,
            details=plan.details,
            anonymous=not plan.name,
            name=plan.name,
            phone=plan.phone,
            passphrase=plan.passphrase,
        )
    return report, _code


def _handle_demo(plan: Report, report: MisconductReport, actors: DemoActors, day: Clock) -> None:
    unit = report.handling_unit
    inspector = actors.get(unit.code, Role.DISCIPLINE_INSPECTOR)
    filed_on = day.back(plan.days_ago)
    available = day.calendar.working_days_between(filed_on, day.today)
    gap = max(0, min(3, (available - 1) // 4))

    def at(steps: int, hour: int) -> datetime:
        return day.at(min(day.after(filed_on, gap * steps), day.today), hour, 10)

    if plan.story == NEW:
        return
    with clock.at(at(1, 9)):
        misconduct_services.misconduct_triage(
            actor=inspector,
            report=report,
            accept=plan.story != OUT_OF_SCOPE,
            reason=plan.reason,
        )
    if plan.story == OUT_OF_SCOPE:
        return
    with clock.at(at(1, 10)):
        report.refresh_from_db()
        misconduct_services.misconduct_reply(actor=inspector, report=report, text=plan.answer)
    if plan.info:
        with clock.at(at(2, 19)):
            misconduct_services.misconduct_add_info(report=report, text=plan.info)
    with clock.at(at(3, 15)):
        misconduct_services.misconduct_note(actor=inspector, report=report, text=plan.note)
    if plan.story == DONE:
        with clock.at(at(4, 16)):
            report.refresh_from_db()
            misconduct_services.misconduct_conclude(
                actor=inspector, report=report, outcome=plan.outcome, action_taken=plan.action
            )


def seed_misconduct(people: DemoPeople, stdout: Writer) -> int:
    """File and handle the demo misconduct reports not present yet (found by their text)."""
    present = set(
        MisconductReport.objects.filter(
            details__in=[plan.details for plan in MISCONDUCT]
        ).values_list("details", flat=True)
    )
    plans = [plan for plan in MISCONDUCT if plan.details not in present]
    if not plans:
        stdout.write(
            _("Demo misconduct reports already present: %(count)d; none created.")
            % {"count": len(present)}
        )
        return 0
    day = demo_clock()
    actors = DemoActors(people)
    answered: tuple[str, str] | None = None
    with transaction.atomic(), translation.override("zh-hans"):
        for number, plan in enumerate(plans):
            stamp = day.at(day.back(plan.days_ago), 8 + number % 3, 30 + number)
            report, code = _file_demo(plan, stamp)
            _handle_demo(plan, report, actors, day)
            if answered is None and plan.story == DONE and not plan.name:
                answered = (code, plan.passphrase)
    inspector = people.users.get("inspector-dh")
    stdout.write(
        _(
            "Demo misconduct reports: %(count)d, from just received to concluded. Sign in as "
            "%(user)s (discipline inspector of %(unit)s) to handle them, or as inspector for "
            "the district's."
        )
        % {
            "count": len(plans),
            "user": inspector.username if inspector else "inspector-dh",
            "unit": people.units["QH-DH"].name if "QH-DH" in people.units else "QH-DH",
        }
    )
    if answered is not None:
        stdout.write(
            _(
                "A resident reads an answered report at %(url)s with the receipt code %(code)s "
                "and the passphrase %(passphrase)s (shown this once)."
            )
            % {"url": reverse("misconduct_lookup"), "code": answered[0], "passphrase": answered[1]}
        )
    return len(plans)
