"""Supervision in the Django admin, read-only: rectification items move through their services
(progress, verification, escalation, each an event with an audit entry), visits and their
findings are recorded by supervisors, reply scores are computed.

Misconduct reports, their evidence and their events are deliberately not registered: they hold
the reporters' identities and are for the discipline inspectors of the level above alone, never
for administrators (see docs/CONDUCT.md and tests/conduct/test_retaliation.py)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiceng.conduct.models import (
    FindingPhoto,
    Inspection,
    InspectionFinding,
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
)
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column


@admin.register(RectificationItem, site=admin_site)
class RectificationItemAdmin(SystemAdminModelAdmin):
    list_display = (
        "title",
        "unit",
        "status",
        "source_kind",
        "owner",
        "deadline",
        "progress",
        "weight",
        "closed_at",
        "escalated_at",
    )
    list_filter = ("status", "source_kind")
    search_fields = ("title", "unit__code", "unit__name")
    list_select_related = ("unit", "owner")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(RectificationEvent, site=admin_site)
class RectificationEventAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", "item", "kind", "status_after", "progress", "actor", "actor_unit")
    list_filter = ("kind", "status_after")
    search_fields = ("item__title",)
    list_select_related = ("item", "actor", "actor_unit")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(RectificationEvidence, site=admin_site)
class RectificationEvidenceAdmin(SystemAdminModelAdmin):
    list_display = ("original_name", "event", "content_type", "size")
    search_fields = ("original_name",)
    list_select_related = ("event",)
    ordering = ("-pk",)


@admin.register(Inspection, site=admin_site)
class InspectionAdmin(SystemAdminModelAdmin):
    list_display = ("visited_on", "unit", "supervisor", "supervisor_unit", "people_met")
    search_fields = ("unit__code", "unit__name", "people_met")
    list_select_related = ("unit", "supervisor", "supervisor_unit")
    date_hierarchy = "visited_on"
    ordering = ("-visited_on", "-pk")


@admin.register(InspectionFinding, site=admin_site)
class InspectionFindingAdmin(SystemAdminModelAdmin):
    list_display = ("title", "inspection", "position")
    search_fields = ("title", "inspection__unit__name")
    list_select_related = ("inspection__unit",)
    ordering = ("-inspection__visited_on", "inspection_id", "position")


@admin.register(FindingPhoto, site=admin_site)
class FindingPhotoAdmin(SystemAdminModelAdmin):
    list_display = ("created_at", "finding", "content_type", "size")
    search_fields = ("finding__title", "sha256")
    list_select_related = ("finding",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(ReplyScore, site=admin_site)
class ReplyScoreAdmin(SystemAdminModelAdmin):
    list_display = (
        "replied_at",
        "reply",
        column("unit", _("unit")),
        "total",
        "relevance",
        "completeness",
        "politeness",
        "timeliness",
        "originality",
        "perfunctory",
        "method",
    )
    list_filter = ("perfunctory", "method")
    search_fields = ("reply__case__tracking_code", "unit__code", "unit__name")
    list_select_related = ("reply__case", "unit")
    date_hierarchy = "replied_at"
    ordering = ("-replied_at", "-pk")
