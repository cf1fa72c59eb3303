"""The insight tables in the Django admin, read-only: classifier versions are trained and
activated by their services, predictions, corrections, routings and hot issues are computed, and
gazetteer entries change through `gazetteer_entry_save`, which checks the unit and the names,
audits the change and refreshes every process's gazetteer. Residents' keyed hashes are not
shown; the duplicate and hot-term indexes and the hot-issue cursor are internal and not
registered."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column
from jiceng.insight.models_classifier import CategoryCorrection, CategoryPrediction, ClassifierModel
from jiceng.insight.models_hot import HotIssue, HotIssueCase, IssueOfMonth
from jiceng.insight.models_routing import CaseRouting, CaseSupport, GazetteerEntry


# --- the classifier ---------------------------------------------------------------------------
@admin.register(ClassifierModel, site=admin_site)
class ClassifierModelAdmin(SystemAdminModelAdmin):
    list_display = ("version", "active", "sample_count", "trained_at", "trained_by", "sha256")
    list_filter = ("active",)
    list_select_related = ("trained_by",)
    ordering = ("-version",)


@admin.register(CategoryPrediction, site=admin_site)
class CategoryPredictionAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", "case", "category", "confidence", "source", "model")
    list_filter = ("source",)
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "category", "model")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    show_full_result_count = False


@admin.register(CategoryCorrection, site=admin_site)
class CategoryCorrectionAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        "case",
        "from_category",
        "to_category",
        "actor",
        column("actor_unit", _("actor unit")),
    )
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "from_category", "to_category", "actor", "actor_unit")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


# --- hot issues -------------------------------------------------------------------------------
@admin.register(HotIssue, site=admin_site)
class HotIssueAdmin(SystemAdminModelAdmin):
    list_display = (
        "title",
        "unit",
        "month",
        "case_count",
        "resident_count",
        "support_count",
        "community_count",
        column("rank", _("rank")),
        "last_seen",
    )
    search_fields = ("title", "unit__code", "unit__name")
    list_select_related = ("unit",)
    date_hierarchy = "month"
    ordering = ("-month", "-rank", "pk")
    exclude = ("centroid",)


@admin.register(HotIssueCase, site=admin_site)
class HotIssueCaseAdmin(SystemAdminModelAdmin):
    list_display = (column("submitted_at", _("submitted at")), "case", "issue")
    search_fields = ("case__tracking_code", "issue__title")
    list_select_related = ("case", "issue")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-pk")
    exclude = ("resident_key",)
    show_full_result_count = False


@admin.register(IssueOfMonth, site=admin_site)
class IssueOfMonthAdmin(SystemAdminModelAdmin):
    list_display = ("month", "unit", "issue", "rectification", "adopted_by", "adopted_at")
    search_fields = ("unit__code", "unit__name", "issue__title")
    list_select_related = ("unit", "issue", "rectification", "adopted_by")
    ordering = ("-month", "pk")


# --- routing ----------------------------------------------------------------------------------
@admin.register(GazetteerEntry, site=admin_site)
class GazetteerEntryAdmin(SystemAdminModelAdmin):
    list_display = ("name", "kind", "unit", "aliases", "number_from", "number_to", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "aliases", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit__path", "kind", "name", "number_from")


@admin.register(CaseRouting, site=admin_site)
class CaseRoutingAdmin(SystemAdminModelAdmin):
    list_display = (
        column("case", _("case")),
        "method",
        "confidence",
        "entry",
        "chosen_area",
        "matched_unit",
        "contradicts",
        "needs_routing",
    )
    list_filter = ("method", "contradicts", "needs_routing")
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "entry", "chosen_area", "matched_unit")
    ordering = ("-case_id",)
    show_full_result_count = False


@admin.register(CaseSupport, site=admin_site)
class CaseSupportAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", column("case", _("case")))
    search_fields = ("case__tracking_code",)
    list_select_related = ("case",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    exclude = ("resident_hash",)
