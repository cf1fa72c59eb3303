"""Factories of conduct tests: stored reply-quality scores, written directly (the scoring that
fills them in production is another module's work), and requests through the case services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory

from jiceng.cases import services
from jiceng.cases.models import Case, Category, Channel, Reply
from jiceng.conduct.reply_quality_models import ReplyFlag, ReplyScore
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS
from jiceng.orgs.models import OrgUnit, User


def submit_case(area: OrgUnit, *, at: datetime, title: str = "楼道灯坏了") -> Case:
    """A request about `area`, submitted at `at` through the intake service."""
    category = Category.objects.get(code="rubbish")
    with clock.at(at):
        return services.case_submit(
            actor=ANONYMOUS,
            category=category,
            area=area,
            title=title,
            description=f"{area.name}：{title}，请尽快处理。",
            channel=Channel.WEB,
        )


class ReplyScoreFactory(factory.django.DjangoModelFactory):
    """A scored resolution reply of `unit` on `case` (a Reply row is made for it)."""

    class Meta:
        model = ReplyScore

    class Params:
        case: Any = None
        author: Any = None
        body = "您好！留言已收悉。"

    reply = factory.LazyAttribute(
        lambda o: Reply.objects.create(
            case=o.case,
            author=o.author,
            unit=o.unit,
            body=o.body,
            is_resolution=True,
            created_at=o.replied_at,
        )
    )
    replied_at = factory.LazyFunction(clock.now)
    relevance = 0.5
    completeness = 0.5
    politeness = 0.8
    timeliness = 1.0
    originality = 0.9
    total = factory.LazyAttribute(lambda o: 20.0 if o.perfunctory else 80.0)
    flags = factory.LazyAttribute(
        lambda o: [ReplyFlag.ACKNOWLEDGEMENT_ONLY.value] if o.perfunctory else []
    )
    perfunctory = False
    scored_at = factory.LazyFunction(clock.now)


def score_reply(case: Case, unit: OrgUnit, author: User, **fields: Any) -> ReplyScore:
    return ReplyScoreFactory(case=case, unit=unit, author=author, **fields)
