"""The default residents' questionnaire, written for this project.

The questions are content, not interface: they are stored in the round's survey, edited there by
the district, and answered by residents in Chinese whatever language the organiser's screen
uses, so they are data here rather than strings for the translation catalogue.

Each item: key, kind, text, options (choices or matrix rows), yes_option (the choice counting as
"solved"), required, and show_if = (key of an earlier question, answers that show this one:
option indexes, or satisfaction levels 1–5).
"""

from __future__ import annotations

from typing import Any

from jiceng.evaluation.models import QuestionKind

DEFAULT_TITLE = "群众满意度测评问卷"
DEFAULT_INTRO = (
    "您好！为了解社区（村）党组织为群众服务的实际情况，请您根据亲身感受如实填写。"
    "问卷不记录姓名和电话，每份问卷只能提交一次，大约需要两分钟。感谢您的支持！"
)

DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "overall",
        "kind": QuestionKind.SATISFACTION,
        "text": "总的来说，您对本社区（村）党组织和居（村）委会为群众办事、服务的情况满意吗？",
    },
    {
        "key": "raised",
        "kind": QuestionKind.SINGLE,
        "text": "近半年来，您有没有向社区（村）反映过问题或提出过诉求？",
        "options": ["反映过", "没有反映过"],
    },
    {
        "key": "solved",
        "kind": QuestionKind.SINGLE,
        "text": "您反映的问题解决了吗？",
        "options": ["已经解决了", "解决了一部分", "还没有解决", "没有人回复我"],
        "yes_option": 0,
        "show_if": ("raised", [0]),
    },
    {
        "key": "services",
        "kind": QuestionKind.MULTIPLE,
        "text": "近半年来，您用过下面哪些服务？（可多选）",
        "options": [
            "到党群服务中心参加活动或办事",
            "代办证明、社保、医保等便民事项",
            "调解邻里、物业等矛盾纠纷",
            "网格员上门走访或帮忙",
            "为老人、残疾人、困难家庭提供的关爱服务",
            "在网上或电话里反映诉求",
            "以上都没有用过",
        ],
        "required": False,
    },
    {
        "key": "aspects",
        "kind": QuestionKind.MATRIX,
        "text": "请就下面几个方面分别说说您的满意程度：",
        "options": [
            "服务场所按时开门、找得到人",
            "工作人员的服务态度",
            "办事和解决问题的速度",
            "党务、居务、财务公开情况",
        ],
    },
    {
        "key": "improve",
        "kind": QuestionKind.TEXT,
        "text": "您觉得哪里做得还不够？最希望先改进什么？",
        "required": False,
        "show_if": ("overall", [1, 2, 3]),
    },
    {
        "key": "suggest",
        "kind": QuestionKind.TEXT,
        "text": "您还有其他意见或建议吗？（选填）",
        "required": False,
    },
]
