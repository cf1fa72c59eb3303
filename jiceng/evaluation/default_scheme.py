"""The default indicator schemes, one per unit class, following the article's four prongs.

Each has four dimensions — 转变思想观念 (service mindset), 改进服务作风 (service conduct),
强化服务保障 (guarantees) and 群众满意 (resident outcomes) — weighted to 100, and within each
dimension indicators weighted to 100. The wording is ours; a district copies and adapts it.
Objective metrics use the case metrics the results code computes (see scoring.CASE_METRICS),
and in the guarantees dimension a few guarantee metrics (scoring.GUARANTEE_METRICS) that the
superior's source scores from the support and rectification records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jiceng.evaluation.models import ScoringRule, UnitClass
from jiceng.evaluation.scheme_services import DimensionData, IndicatorData


@dataclass(frozen=True)
class DefaultScheme:
    family: str
    name: str
    unit_class: str
    description: str
    dimensions: tuple[DimensionData, ...]


def _dimension(code: str, name: str, weight: int, guidance: str) -> IndicatorData:
    return IndicatorData(code=code, name=name, guidance=guidance, weight=Decimal(weight))


def checklist(
    code: str,
    name: str,
    weight: int,
    items: list[str],
    guidance: str = "",
    *,
    evidence: bool = True,
) -> IndicatorData:
    return IndicatorData(
        code=code,
        name=name,
        guidance=guidance,
        weight=Decimal(weight),
        max_points=Decimal("10"),
        rule=ScoringRule.CHECKLIST,
        rule_options={"items": items},
        evidence_required=evidence,
    )


def scale(
    code: str, name: str, weight: int, guidance: str, *, top: int = 5, evidence: bool = False
) -> IndicatorData:
    return IndicatorData(
        code=code,
        name=name,
        guidance=guidance,
        weight=Decimal(weight),
        max_points=Decimal("10"),
        rule=ScoringRule.SCALE,
        rule_options={"top": top},
        evidence_required=evidence,
    )


def deduction(code: str, name: str, weight: int, guidance: str, *, per_item: int) -> IndicatorData:
    # Deductions rest on findings of supervision and discipline inspection, which the superior
    # holds; a unit would not be asked to count its own violations.
    return IndicatorData(
        code=code,
        name=name,
        guidance=guidance,
        weight=Decimal(weight),
        max_points=Decimal("10"),
        rule=ScoringRule.DEDUCTION,
        rule_options={"per_item": per_item},
        scored_by_self=False,
        scored_by_superior=True,
    )


def metric(
    code: str, name: str, weight: int, guidance: str, *, key: str, target: float, floor: float
) -> IndicatorData:
    return IndicatorData(
        code=code,
        name=name,
        guidance=guidance,
        weight=Decimal(weight),
        max_points=Decimal("10"),
        rule=ScoringRule.METRIC,
        rule_options={"metric": key, "target": target, "floor": floor},
        scored_by_self=False,
        scored_by_superior=False,
    )


# --- shared by communities and villages ---------------------------------------------------
def _outcomes(prefix: str, residents: str) -> DimensionData:
    return DimensionData(
        _dimension(
            f"{prefix}-outcomes",
            "群众满意",
            35,
            f"以{residents}的感受和诉求办理的实际结果评判服务成效。",
        ),
        [
            metric(
                f"{prefix}-satisfaction",
                "诉求办理满意率",
                30,
                f"评价期内{residents}对已办结诉求回访时表示满意的比例。",
                key="satisfaction",
                target=0.95,
                floor=0.6,
            ),
            metric(
                f"{prefix}-resolution",
                "诉求解决率",
                30,
                f"评价期内{residents}确认问题已解决的诉求所占比例。",
                key="resolution",
                target=0.9,
                floor=0.5,
            ),
            metric(
                f"{prefix}-no-feedback",
                "未回访诉求占比",
                15,
                "办结后没有回访结果的诉求所占比例，越低越好。",
                key="no_feedback",
                target=0.1,
                floor=0.5,
            ),
            deduction(
                f"{prefix}-repeat-complaints",
                "重复投诉与越级反映",
                25,
                "同一问题因未解决被重复投诉，或群众越级反映经核实属实的，每件扣2分，扣完为止。",
                per_item=2,
            ),
        ],
    )


def _community() -> tuple[DimensionData, ...]:
    return (
        DimensionData(
            _dimension(
                "c-mindset",
                "转变思想观念",
                20,
                "把服务群众作为社区党组织的核心职责，聚焦群众最关心、最直接、最现实的问题。",
            ),
            [
                checklist(
                    "c-study",
                    "服务理念学习与承诺",
                    40,
                    [
                        "每季度至少开展一次以服务群众为主题的专题学习",
                        "社区“两委”成员公开服务承诺并在党群服务中心公示",
                        "年度为民办实事项目经居民代表会议讨论确定",
                        "承诺事项逐项销号，年底向居民通报完成情况",
                    ],
                    "以会议记录、公示照片、居民代表会议纪要为佐证。",
                ),
                scale(
                    "c-key-concerns",
                    "聚焦急难愁盼",
                    35,
                    "围绕停车、加装电梯、老旧小区改造、养老托幼等居民反映集中的问题，确定重点事项"
                    "并推动解决的程度：0 为没有行动，5 为形成机制并见到成效。",
                    evidence=True,
                ),
                scale(
                    "c-home-visits",
                    "入户走访",
                    25,
                    "社区书记和网格员按网格定期入户，建立走访台账，掌握困难家庭、独居老人等情况。"
                    "0 为未开展，5 为全覆盖且台账完整、问题有跟进。",
                    evidence=True,
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "c-conduct",
                "改进服务作风",
                25,
                "杜绝“做给别人看”式服务和“吃拿卡要”，用机制打通服务群众的“中梗阻”。",
            ),
            [
                metric(
                    "c-response",
                    "诉求响应率",
                    20,
                    "评价期内在规定时限内受理并首次回应的诉求所占比例。",
                    key="response",
                    target=0.95,
                    floor=0.6,
                ),
                metric(
                    "c-on-time",
                    "按期办结率",
                    20,
                    "评价期内在规定工作日内办结的诉求所占比例。",
                    key="on_time",
                    target=0.95,
                    floor=0.6,
                ),
                checklist(
                    "c-service-style",
                    "便民服务机制",
                    20,
                    [
                        "推行错时延时服务，公示值班电话和值班人员",
                        "公开代办帮办事项清单和办理流程",
                        "落实首问负责制，来访来电有登记、有回复",
                        "对群众提出的作风问题建立台账并限期整改",
                    ],
                ),
                deduction(
                    "c-bouncing",
                    "推诿扯皮",
                    20,
                    "经核实无正当理由退回、转办或拖延群众诉求的，每件扣2分，扣完为止。",
                    per_item=2,
                ),
                deduction(
                    "c-integrity",
                    "廉洁服务",
                    20,
                    "经查实存在吃拿卡要、优亲厚友、变相收费等问题的，每起扣5分，扣完为止。",
                    per_item=5,
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "c-guarantees",
                "强化服务保障",
                20,
                "阵地不“铁将军把门”、不“门可罗雀”，经费、人员、设备稳定，服务精准到户。",
            ),
            [
                checklist(
                    "c-venue",
                    "阵地开放与使用",
                    20,
                    [
                        "党群服务中心按公示时间开放，抽查时无关门现象",
                        "节假日安排轮值，开放时间公示在门口和线上",
                        "活动室每月组织活动不少于4次，有签到记录",
                        "设置群众意见簿，意见在10个工作日内回复",
                    ],
                ),
                metric(
                    "c-venue-open",
                    "阵地抽查开放率",
                    15,
                    "评价期内上级在公示开放时间内抽查阵地时发现正常开放的比例，由抽查记录自动计算，"
                    "计入组织考评；无抽查记录时不计分。",
                    key="venue_open",
                    target=1.0,
                    floor=0.5,
                ),
                checklist(
                    "c-funds",
                    "服务经费管理",
                    25,
                    [
                        "服务群众专项经费有年度预算和收支台账",
                        "经费使用事项经“两委”会议集体研究",
                        "经费使用情况每半年向居民公开一次",
                    ],
                ),
                scale(
                    "c-staff",
                    "工作力量与设备",
                    20,
                    "社区工作者、网格员按标准配备到位，办公和服务设备满足需要。"
                    "0 为严重不足，5 为配齐配强并相对稳定。",
                ),
                checklist(
                    "c-care",
                    "精准关爱服务",
                    10,
                    [
                        "建立困难群众、独居老人、残疾人等关爱对象清单并动态更新",
                        "党员与关爱对象结对帮扶全覆盖",
                        "关爱对象每月至少走访或电话联系一次",
                        "提供个性化服务项目不少于3项",
                    ],
                ),
                metric(
                    "c-care-visits",
                    "关爱走访按期完成率",
                    10,
                    "评价期内关爱对象应走访次数中按期走访的比例，由走访记录自动计算，计入组织考评；"
                    "无应走访次数时不计分。",
                    key="care_visits",
                    target=0.95,
                    floor=0.6,
                ),
            ],
        ),
        _outcomes("c", "居民"),
    )


def _village() -> tuple[DimensionData, ...]:
    return (
        DimensionData(
            _dimension(
                "v-mindset",
                "转变思想观念",
                20,
                "把服务村民作为村党组织的核心职责，围绕增收、人居环境和民生实事开展工作。",
            ),
            [
                checklist(
                    "v-study",
                    "服务理念学习与承诺",
                    40,
                    [
                        "每季度至少开展一次以服务群众为主题的主题党日",
                        "村“两委”成员公开服务承诺并在村务公开栏公示",
                        "年度民生实事经村民代表会议讨论确定",
                        "承诺事项年底向村民逐项通报完成情况",
                    ],
                    "以会议记录、公示照片、村民代表会议纪要为佐证。",
                ),
                scale(
                    "v-key-concerns",
                    "聚焦急难愁盼",
                    35,
                    "围绕饮水、道路、人居环境、产业增收等村民反映集中的问题，确定重点事项并推动"
                    "解决的程度：0 为没有行动，5 为形成机制并见到成效。",
                    evidence=True,
                ),
                scale(
                    "v-home-visits",
                    "入户走访",
                    25,
                    "村干部分片包户，定期走访留守老人、留守儿童和困难家庭，建立走访台账。"
                    "0 为未开展，5 为全覆盖且台账完整、问题有跟进。",
                    evidence=True,
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "v-conduct",
                "改进服务作风",
                25,
                "村务公开透明，办事不设门槛、不吃拿卡要，村民诉求有人管、管到底。",
            ),
            [
                metric(
                    "v-response",
                    "诉求响应率",
                    20,
                    "评价期内在规定时限内受理并首次回应的诉求所占比例。",
                    key="response",
                    target=0.95,
                    floor=0.6,
                ),
                metric(
                    "v-on-time",
                    "按期办结率",
                    20,
                    "评价期内在规定工作日内办结的诉求所占比例。",
                    key="on_time",
                    target=0.9,
                    floor=0.5,
                ),
                checklist(
                    "v-openness",
                    "村务公开与代办服务",
                    20,
                    [
                        "党务、村务、财务按时公开，公开栏内容及时更新",
                        "设立便民服务代办点，公开代办事项清单",
                        "农忙时节调整服务时间，方便村民办事",
                        "村民来访来电有登记、有回复",
                    ],
                ),
                deduction(
                    "v-bouncing",
                    "推诿扯皮",
                    20,
                    "经核实无正当理由推给乡镇或拖延村民诉求的，每件扣2分，扣完为止。",
                    per_item=2,
                ),
                deduction(
                    "v-integrity",
                    "廉洁服务",
                    20,
                    "经查实在低保评定、补贴发放、宅基地审批等事项中吃拿卡要、优亲厚友的，"
                    "每起扣5分，扣完为止。",
                    per_item=5,
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "v-guarantees",
                "强化服务保障",
                20,
                "村级活动场所常开常用，经费、人员、设备有保障，关爱服务覆盖到户。",
            ),
            [
                checklist(
                    "v-venue",
                    "阵地开放与使用",
                    20,
                    [
                        "村级党群服务中心按公示时间开放，抽查时无关门现象",
                        "农家书屋、文化活动室等场所正常使用，有活动记录",
                        "每月组织面向村民的活动或培训不少于2次",
                        "设置村民意见箱，意见在10个工作日内回复",
                    ],
                ),
                metric(
                    "v-venue-open",
                    "阵地抽查开放率",
                    15,
                    "评价期内上级在公示开放时间内抽查阵地时发现正常开放的比例，由抽查记录自动计算，"
                    "计入组织考评；无抽查记录时不计分。",
                    key="venue_open",
                    target=1.0,
                    floor=0.5,
                ),
                checklist(
                    "v-funds",
                    "服务经费管理",
                    25,
                    [
                        "村级服务群众经费有年度预算和收支台账",
                        "经费使用落实“四议两公开”",
                        "经费使用情况每季度在村务公开栏公示",
                    ],
                ),
                scale(
                    "v-staff",
                    "工作力量与设备",
                    20,
                    "村干部、网格员、便民服务代办员配备到位，服务设备满足需要。"
                    "0 为严重不足，5 为配齐配强并相对稳定。",
                ),
                checklist(
                    "v-care",
                    "精准关爱服务",
                    10,
                    [
                        "建立留守老人、留守儿童、困难家庭等关爱对象清单并动态更新",
                        "党员与关爱对象结对帮扶全覆盖",
                        "关爱对象每月至少走访或电话联系一次",
                        "为行动不便的村民提供上门代办服务",
                    ],
                ),
                metric(
                    "v-care-visits",
                    "关爱走访按期完成率",
                    10,
                    "评价期内关爱对象应走访次数中按期走访的比例，由走访记录自动计算，计入组织考评；"
                    "无应走访次数时不计分。",
                    key="care_visits",
                    target=0.95,
                    floor=0.6,
                ),
            ],
        ),
        _outcomes("v", "村民"),
    )


def _street() -> tuple[DimensionData, ...]:
    return (
        DimensionData(
            _dimension(
                "s-mindset",
                "转变思想观念",
                20,
                "街道（乡镇）党（工）委把服务基层、服务群众摆在首位，带动辖区社区（村）转变观念。",
            ),
            [
                checklist(
                    "s-study",
                    "服务理念学习与部署",
                    40,
                    [
                        "党（工）委每半年至少专题研究一次基层服务工作",
                        "班子成员每人联系至少一个社区（村）并定期到点服务",
                        "年度为民办实事项目向社会公开并接受监督",
                        "组织辖区社区（村）书记开展服务能力培训",
                    ],
                ),
                scale(
                    "s-key-concerns",
                    "统筹解决难点问题",
                    35,
                    "对社区（村）无力解决、群众反映集中的问题统筹资源推动解决的程度："
                    "0 为没有行动，5 为建立协调机制并见到成效。",
                    evidence=True,
                ),
                scale(
                    "s-guidance",
                    "指导社区（村）服务",
                    25,
                    "对辖区社区（村）服务工作的指导是否经常、具体、有效："
                    "0 为基本没有指导，5 为指导到位并有典型经验推广。",
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "s-conduct",
                "改进服务作风",
                25,
                "督办有力，层层传导压力，疏通诉求办理中的“中梗阻”。",
            ),
            [
                metric(
                    "s-response",
                    "诉求响应率",
                    20,
                    "评价期内辖区诉求在规定时限内受理并首次回应的比例。",
                    key="response",
                    target=0.95,
                    floor=0.6,
                ),
                metric(
                    "s-on-time",
                    "按期办结率",
                    25,
                    "评价期内辖区诉求在规定工作日内办结的比例。",
                    key="on_time",
                    target=0.95,
                    floor=0.6,
                ),
                checklist(
                    "s-escalation",
                    "督办与协调机制",
                    20,
                    [
                        "对超期诉求建立督办台账，逐件跟踪到办结",
                        "跨部门、跨社区诉求有牵头协调机制",
                        "每月通报各社区（村）诉求办理情况",
                        "对群众反映的作风问题及时核查处理",
                    ],
                ),
                deduction(
                    "s-obstruction",
                    "中梗阻问题",
                    20,
                    "经核实诉求在街道（乡镇）环节无故滞留、层层转办的，每件扣2分，扣完为止。",
                    per_item=2,
                ),
                deduction(
                    "s-integrity",
                    "廉洁服务",
                    15,
                    "经查实街道（乡镇）干部存在吃拿卡要、推诿刁难等问题的，每起扣5分，扣完为止。",
                    per_item=5,
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "s-guarantees",
                "强化服务保障",
                20,
                "为社区（村）提供稳定的经费、人员和设备保障，督导检查和整改落实到位。",
            ),
            [
                checklist(
                    "s-supervision",
                    "督导检查与整改",
                    20,
                    [
                        "每季度对辖区阵地开放情况开展抽查",
                        "督导发现的问题建立整改清单并限期销号",
                        "对整改不力的社区（村）约谈提醒",
                    ],
                ),
                metric(
                    "s-rectification",
                    "督导整改完成进度",
                    15,
                    "评价期内辖区督导发现问题的整改进度（按权重汇总，已验收计100%），由整改记录"
                    "自动计算，计入组织考评；无整改事项时不计分。",
                    key="rectification",
                    target=1.0,
                    floor=0.5,
                ),
                checklist(
                    "s-funds",
                    "经费保障",
                    15,
                    [
                        "社区（村）服务群众经费足额及时拨付",
                        "经费使用情况定期检查并通报",
                        "为服务阵地维护和设备更新安排专项资金",
                    ],
                ),
                metric(
                    "s-fund-execution",
                    "经费执行率",
                    10,
                    "评价期所在年度街道（乡镇）本级经费已支出占已拨付的比例，由经费台账自动计算，"
                    "计入组织考评；无拨款时不计分。",
                    key="fund_execution",
                    target=0.9,
                    floor=0.5,
                ),
                scale(
                    "s-staff",
                    "工作力量下沉",
                    20,
                    "机关干部下沉社区（村）、充实网格力量的情况："
                    "0 为没有下沉，5 为常态化下沉并参与诉求办理。",
                    evidence=True,
                ),
                scale(
                    "s-diverse-services",
                    "多元化服务供给",
                    20,
                    "引入社会组织、志愿者和驻区单位资源，提供多元化、个性化服务的程度："
                    "0 为没有，5 为形成稳定的服务项目体系。",
                ),
            ],
        ),
        DimensionData(
            _dimension(
                "s-outcomes",
                "群众满意",
                35,
                "以辖区群众的感受和诉求办理的实际结果评判服务成效。",
            ),
            [
                metric(
                    "s-satisfaction",
                    "诉求办理满意率",
                    35,
                    "评价期内辖区群众对已办结诉求表示满意的比例。",
                    key="satisfaction",
                    target=0.95,
                    floor=0.6,
                ),
                metric(
                    "s-resolution",
                    "诉求解决率",
                    35,
                    "评价期内辖区群众确认问题已解决的诉求所占比例。",
                    key="resolution",
                    target=0.9,
                    floor=0.5,
                ),
                metric(
                    "s-no-feedback",
                    "未回访诉求占比",
                    10,
                    "办结后没有回访结果的诉求所占比例，越低越好。",
                    key="no_feedback",
                    target=0.1,
                    floor=0.5,
                ),
                deduction(
                    "s-repeat-complaints",
                    "重复投诉与越级反映",
                    20,
                    "辖区同一问题被重复投诉，或群众越级反映经核实属实的，每件扣2分，扣完为止。",
                    per_item=2,
                ),
            ],
        ),
    )


DEFAULT_SCHEMES: tuple[DefaultScheme, ...] = (
    DefaultScheme(
        family="community-default",
        name="社区党组织服务力评价指标体系",
        unit_class=UnitClass.COMMUNITY,
        description="按照转变思想观念、改进服务作风、强化服务保障、群众满意四个方面评价社区党组织服务力。",
        dimensions=_community(),
    ),
    DefaultScheme(
        family="village-default",
        name="村党组织服务力评价指标体系",
        unit_class=UnitClass.VILLAGE,
        description="按照转变思想观念、改进服务作风、强化服务保障、群众满意四个方面评价村党组织服务力。",
        dimensions=_village(),
    ),
    DefaultScheme(
        family="street-default",
        name="街道（乡镇）党（工）委服务力评价指标体系",
        unit_class=UnitClass.STREET,
        description="按照转变思想观念、改进服务作风、强化服务保障、群众满意四个方面评价街道（乡镇）"
        "党（工）委服务基层、服务群众的成效。",
        dimensions=_street(),
    ),
)
