"""Panels of the staff case page: how the case was routed, and its probable duplicates."""

from __future__ import annotations

from typing import Any

from django import template

from jiceng.cases.models import Case
from jiceng.cases.services import available_actions
from jiceng.cases.workflow import Action
from jiceng.insight import duplicate_services, routing_services

register = template.Library()


@register.inclusion_tag("insight/_case_routing.html", takes_context=True)
def case_routing_panel(context: dict[str, Any], case: Case) -> dict[str, Any]:
    return {"routing": routing_services.case_routing(case), "case": case}


@register.inclusion_tag("insight/_case_duplicates.html", takes_context=True)
def case_duplicates_panel(context: dict[str, Any], case: Case) -> dict[str, Any]:
    actor = context["request"].actor
    can_merge = Action.MERGE in available_actions(actor, case)
    return {
        "case": case,
        "candidates": duplicate_services.possible_duplicates(actor, case) if case.is_open else [],
        "supporters": duplicate_services.support_count(actor, case),
        "can_merge": can_merge,
        "csrf_token": context.get("csrf_token"),
    }
