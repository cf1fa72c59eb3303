"""The default two-level taxonomy, written for grassroots work (our own wording).

Each group lists its categories as (code, Chinese name, English name, responsible level,
respond hours, resolve days). Groups pass their level and deadlines to categories that do not
name their own. District administrators change all of it later in the category pages.
"""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str | None, int | None, int | None]

GROUPS: list[dict[str, Any]] = [
    {
        "code": "environment",
        "name": "环境卫生",
        "name_en": "Environment and sanitation",
        "level": "community",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("rubbish", "垃圾清运", "Rubbish collection", None, None, 3),
            ("greenery", "绿化养护", "Greenery upkeep", None, None, None),
            ("noise", "噪声扰民", "Noise nuisance", "street", None, None),
            ("odour", "油烟异味", "Cooking fumes and odours", "street", None, 10),
            ("sewage", "污水外溢", "Sewage overflow", None, 4, 3),
        ],
    },
    {
        "code": "property",
        "name": "物业管理",
        "name_en": "Property management",
        "level": "community",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("lift", "电梯故障", "Lift breakdown", None, 2, 2),
            ("parking", "小区停车", "Parking on the estate", None, None, None),
            ("property-fees", "物业收费", "Property management fees", None, None, 10),
            ("shared-repairs", "公共部位维修", "Repairs to shared parts", None, None, 10),
            ("leaks", "漏水渗水", "Leaks and seepage", None, None, 7),
        ],
    },
    {
        "code": "disputes",
        "name": "邻里纠纷",
        "name_en": "Neighbourhood disputes",
        "level": "grid",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("neighbours", "邻里矛盾", "Conflict between neighbours", None, None, None),
            ("pets", "宠物饲养", "Pets", None, None, None),
            ("stairwell-clutter", "楼道堆物", "Clutter in stairwells", None, None, 3),
        ],
    },
    {
        "code": "elderly-disabled",
        "name": "养老助残",
        "name_en": "Elderly and disability care",
        "level": "community",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("home-care", "居家养老服务", "Home care for older people", None, None, None),
            ("meals", "老年助餐", "Meals for older people", None, None, None),
            ("accessibility", "无障碍设施", "Accessibility facilities", "street", None, 15),
            ("disability-help", "残疾人帮扶", "Help for people with disabilities", None, None, 10),
        ],
    },
    {
        "code": "employment",
        "name": "就业社保",
        "name_en": "Employment and social security",
        "level": "street",
        "respond": 8,
        "resolve": 10,
        "children": [
            ("job-help", "就业帮扶", "Help finding work", None, None, None),
            ("insurance", "社保医保办理", "Social and medical insurance", None, None, None),
            ("allowance", "低保救助", "Subsistence allowance", None, None, 15),
            ("unpaid-wages", "拖欠工资", "Unpaid wages", "district", 4, 10),
        ],
    },
    {
        "code": "education",
        "name": "教育服务",
        "name_en": "Education",
        "level": "street",
        "respond": 8,
        "resolve": 10,
        "children": [
            ("school-admission", "入学咨询", "School admission", None, None, 5),
            ("tutoring", "校外培训", "After-school tutoring", "district", None, None),
            ("childcare", "托育服务", "Childcare", None, None, None),
        ],
    },
    {
        "code": "health",
        "name": "医疗卫生",
        "name_en": "Health",
        "level": "street",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("community-health", "社区卫生服务", "Community health service", None, None, None),
            ("vaccination", "疫苗接种", "Vaccination", None, None, 3),
            ("health-records", "健康管理", "Health records and check-ups", "community", None, None),
        ],
    },
    {
        "code": "roads",
        "name": "道路交通",
        "name_en": "Roads and traffic",
        "level": "street",
        "respond": 8,
        "resolve": 10,
        "children": [
            ("road-damage", "道路破损", "Damaged roads and pavements", None, None, None),
            ("street-lights", "路灯故障", "Broken street lights", None, None, 5),
            ("traffic-order", "交通秩序", "Traffic order", "district", None, None),
            ("shared-bikes", "共享单车", "Shared bicycles", None, None, 3),
        ],
    },
    {
        "code": "safety",
        "name": "安全隐患",
        "name_en": "Safety hazards",
        "level": "community",
        "respond": 2,
        "resolve": 2,
        "children": [
            ("fire", "消防隐患", "Fire hazards", None, None, None),
            ("gas", "燃气安全", "Gas safety", "street", 1, 1),
            ("building-safety", "房屋安全", "Unsafe buildings", "street", None, 5),
            ("ebike-charging", "电动车违规充电", "Unsafe e-bike charging", "grid", None, None),
        ],
    },
    {
        "code": "facilities",
        "name": "公共设施",
        "name_en": "Public facilities",
        "level": "community",
        "respond": 8,
        "resolve": 10,
        "children": [
            ("fitness", "健身器材", "Fitness equipment", None, None, None),
            ("water-power", "供水供电", "Water and power supply", "street", 4, 3),
            ("activity-rooms", "活动场所", "Community activity rooms", None, None, None),
        ],
    },
    {
        "code": "consultation",
        "name": "政策咨询",
        "name_en": "Policy questions",
        "level": "community",
        "respond": 8,
        "resolve": 3,
        "children": [
            (
                "certificates",
                "户籍证明",
                "Household registration and certificates",
                "street",
                None,
                None,
            ),
            ("benefits", "惠民政策", "Benefits and subsidies", None, None, None),
            ("other-questions", "其他咨询", "Other questions", None, None, None),
        ],
    },
    {
        "code": "other",
        "name": "其他",
        "name_en": "Other",
        "level": "community",
        "respond": 8,
        "resolve": 5,
        "children": [
            ("suggestions", "意见建议", "Suggestions", None, None, 10),
            ("other-matters", "其他事项", "Other matters", None, None, None),
        ],
    },
]


def load(category_model: Any) -> int:
    """Create the default categories that are missing (by code); returns how many were made."""
    made = 0
    for group_position, group in enumerate(GROUPS):
        parent, created = category_model.objects.get_or_create(
            code=group["code"],
            defaults={
                "name": group["name"],
                "name_en": group["name_en"],
                "responsible_level": group["level"],
                "respond_hours": group["respond"],
                "resolve_days": group["resolve"],
                "urgent_respond_hours": min(2, group["respond"]),
                "urgent_resolve_days": 1,
                "position": group_position,
            },
        )
        made += created
        for position, (code, name, name_en, level, respond, resolve) in enumerate(
            group["children"]
        ):
            _, created = category_model.objects.get_or_create(
                code=code,
                defaults={
                    "parent": parent,
                    "name": name,
                    "name_en": name_en,
                    "responsible_level": level or group["level"],
                    "respond_hours": respond or group["respond"],
                    "resolve_days": resolve or group["resolve"],
                    "urgent_respond_hours": min(2, respond or group["respond"]),
                    "urgent_resolve_days": 1,
                    "position": position,
                },
            )
            made += created
    return made
