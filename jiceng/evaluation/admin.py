"""The evaluation in the Django admin, read-only: schemes are versioned and published through
their services (the default scheme included), rounds move through their stages, scores, survey
tokens and responses, results and appeals are written by the services that check the stage and
audit each step. Residents' answers carry no identity; the device and address hashes of the
responses are not shown."""

from __future__ import annotations

from django.contrib import admin

from jiceng.core.admin import SystemAdminModelAdmin, admin_site
from jiceng.evaluation.models import (
    Answer,
    Appeal,
    Evidence,
    Indicator,
    OpenLink,
    Question,
    Rater,
    Result,
    Round,
    RoundUnit,
    Scheme,
    SelfAssessment,
    SelfScore,
    StaffDevice,
    SuperiorRating,
    SuperiorScore,
    Survey,
    SurveyResponse,
    SurveyToken,
    TokenBatch,
)

# A unit in a round is shown as "round · unit".
ROUND_UNIT = ("round_unit__round", "round_unit__unit")


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


@admin.register(SelfAssessment, site=admin_site)
class SelfAssessmentAdmin(SystemAdminModelAdmin):
    list_display = ("round_unit", "status", "submitted_at", "submitted_by")
    list_filter = ("status",)
    search_fields = ("round_unit__unit__code", "round_unit__unit__name")
    list_select_related = (*ROUND_UNIT, "submitted_by")
    ordering = ("-pk",)


@admin.register(SelfScore, site=admin_site)
class SelfScoreAdmin(SystemAdminModelAdmin):
    list_display = ("indicator_code", "points", "assessment")
    search_fields = ("indicator_code", "assessment__round_unit__unit__name")
    list_select_related = ("assessment",)
    ordering = ("-assessment_id", "indicator_code")


@admin.register(Evidence, site=admin_site)
class EvidenceAdmin(SystemAdminModelAdmin):
    list_display = ("uploaded_at", "original_name", "score", "content_type", "size", "uploaded_by")
    search_fields = ("original_name",)
    list_select_related = ("score", "uploaded_by")
    date_hierarchy = "uploaded_at"
    ordering = ("-uploaded_at", "-pk")


@admin.register(Rater, site=admin_site)
class RaterAdmin(SystemAdminModelAdmin):
    list_display = ("round", "membership")
    search_fields = ("round__name", "membership__user__username")
    list_select_related = ("round", "membership__user", "membership__unit")
    ordering = ("-round_id", "pk")


@admin.register(SuperiorRating, site=admin_site)
class SuperiorRatingAdmin(SystemAdminModelAdmin):
    list_display = ("round_unit", "rater", "status", "submitted_at")
    list_filter = ("status",)
    search_fields = ("round_unit__unit__code", "round_unit__unit__name")
    list_select_related = (*ROUND_UNIT, "rater")
    ordering = ("-pk",)


@admin.register(SuperiorScore, site=admin_site)
class SuperiorScoreAdmin(SystemAdminModelAdmin):
    list_display = ("indicator_code", "points", "rating")
    search_fields = ("indicator_code",)
    list_select_related = ("rating",)
    ordering = ("-rating_id", "indicator_code")


# --- residents' surveys -----------------------------------------------------------------------
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


@admin.register(TokenBatch, site=admin_site)
class TokenBatchAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", "label", "round_unit", "count", "created_by", "voided_at")
    search_fields = ("label", "round_unit__unit__code", "round_unit__unit__name")
    list_select_related = (*ROUND_UNIT, "created_by")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(SurveyToken, site=admin_site)
class SurveyTokenAdmin(SystemAdminModelAdmin):
    list_display = ("pk", "batch", "used_at")
    list_select_related = ("batch",)
    ordering = ("-pk",)
    exclude = ("digest",)
    show_full_result_count = False


@admin.register(OpenLink, site=admin_site)
class OpenLinkAdmin(SystemAdminModelAdmin):
    list_display = (
        "place",
        "round_unit",
        "slug",
        "per_device",
        "per_address_per_day",
        "refused",
        "is_active",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("place", "slug", "round_unit__unit__name")
    list_select_related = ROUND_UNIT
    ordering = ("-created_at", "-pk")


@admin.register(SurveyResponse, site=admin_site)
class SurveyResponseAdmin(SystemAdminModelAdmin):
    list_display = ("submitted_at", "round_unit", "channel", "open_link", "excluded_reason")
    list_filter = ("channel",)
    search_fields = ("round_unit__unit__code", "round_unit__unit__name")
    list_select_related = (*ROUND_UNIT, "open_link")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-pk")
    exclude = ("device_hash", "address_hash", "token")
    show_full_result_count = False


@admin.register(Answer, site=admin_site)
class AnswerAdmin(SystemAdminModelAdmin):
    list_display = ("pk", "response", "question")
    list_select_related = ("response", "question")
    ordering = ("-pk",)
    show_full_result_count = False


@admin.register(StaffDevice, site=admin_site)
class StaffDeviceAdmin(SystemAdminModelAdmin):
    list_display = ("user", "last_seen")
    search_fields = ("user__username", "user__display_name")
    list_select_related = ("user",)
    date_hierarchy = "last_seen"
    ordering = ("-last_seen", "-pk")
    exclude = ("device_hash",)


# --- results ----------------------------------------------------------------------------------
@admin.register(Result, site=admin_site)
class ResultAdmin(SystemAdminModelAdmin):
    list_display = (
        "round_unit",
        "grade",
        "rank",
        "peers",
        "composite",
        "self_score",
        "residents_score",
        "superior_score",
        "computed_at",
    )
    list_filter = ("grade",)
    search_fields = ("round_unit__unit__code", "round_unit__unit__name", "round_unit__round__name")
    list_select_related = ROUND_UNIT
    ordering = ("-round_unit__round_id", "rank")


@admin.register(Appeal, site=admin_site)
class AppealAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", "round_unit", "status", "filed_by", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("round_unit__unit__code", "round_unit__unit__name", "grounds")
    list_select_related = (*ROUND_UNIT, "filed_by", "decided_by")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
