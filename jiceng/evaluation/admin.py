"""Evaluation schemes, rounds and questionnaires in the Django admin, read-only.

Only the set-up is shown: self-assessments, ratings, residents' answers, tokens and results
stay with the people the evaluation pages let see them (docs/EVALUATION.md)."""

from __future__ import annotations

from django.contrib import admin

from jiceng.core.admin import SystemAdminModelAdmin, admin_site
from jiceng.evaluation.models import (
    Indicator,
    Question,
    Round,
    RoundUnit,
    Scheme,
    Survey,
)


# --- schemes ----------------------------------------------------------------------------------
@admin.register(Scheme, site=admin_site)
class SchemeAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "family",
        "version",
        "unit_class",
        "status",
        "owner",
        "based_on",
        "published_at",
    )
    list_filter = ("status", "unit_class")
    search_fields = ("name", "family")
    list_select_related = ("owner", "based_on")
    ordering = ("family", "-version")


@admin.register(Indicator, site=admin_site)
class IndicatorAdmin(SystemAdminModelAdmin):
    list_display = (
        "code",
        "name",
        "scheme",
        "parent",
        "weight",
        "max_points",
        "rule",
        "scored_by_self",
        "scored_by_superior",
    )
    list_filter = ("rule", "scored_by_self", "scored_by_superior", "evidence_required")
    search_fields = ("code", "name", "scheme__name")
    list_select_related = ("scheme", "parent")
    ordering = ("scheme__family", "-scheme__version", "position", "pk")


# --- rounds -----------------------------------------------------------------------------------
@admin.register(Round, site=admin_site)
class RoundAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "organiser",
        "state",
        "period_start",
        "period_end",
        "stage_deadline",
        "opened_at",
        "published_at",
    )
    list_filter = ("state",)
    search_fields = ("name",)
    list_select_related = ("organiser",)
    date_hierarchy = "period_start"
    ordering = ("-period_start", "-pk")
    exclude = ("snapshot",)


@admin.register(RoundUnit, site=admin_site)
class RoundUnitAdmin(SystemAdminModelAdmin):
    list_display = ("unit", "round", "unit_class", "households")
    list_filter = ("unit_class",)
    search_fields = ("unit__code", "unit__name", "round__name")
    list_select_related = ("round", "unit")
    ordering = ("-round__period_start", "unit_path")


@admin.register(Survey, site=admin_site)
class SurveyAdmin(SystemAdminModelAdmin):
    list_display = ("title", "round", "updated_at")
    search_fields = ("title", "round__name")
    list_select_related = ("round",)
    ordering = ("-pk",)


@admin.register(Question, site=admin_site)
class QuestionAdmin(SystemAdminModelAdmin):
    list_display = ("text", "survey", "position", "kind", "required", "show_if")
    list_filter = ("kind", "required")
    search_fields = ("text",)
    list_select_related = ("survey", "show_if")
    ordering = ("-survey_id", "position")
