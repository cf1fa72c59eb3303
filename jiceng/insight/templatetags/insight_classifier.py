from __future__ import annotations

from typing import Any

from django import template

from jiceng.cases.models import Case
from jiceng.insight.classifier_selectors import case_classification
from jiceng.insight.forms_classifier import RecategoriseForm

register = template.Library()


@register.inclusion_tag("insight/_case_category.html", takes_context=True)
def case_category_panel(context: dict[str, Any], case: Case) -> dict[str, Any]:
    """The classifier's suggestions for a case, with one-click corrections for its staff."""
    actor = context["request"].actor
    classification = case_classification(actor, case)
    return {
        "case": case,
        "classification": classification,
        "form": RecategoriseForm(prefix=None) if classification.can_correct else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def percent(value: float) -> str:
    return f"{round(float(value) * 100)}%"
