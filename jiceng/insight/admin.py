"""Classifier versions and the routing gazetteer in the Django admin, read-only.

Predictions, routing records, support and hot issues concern residents' requests, which
system administrators do not see (docs/CASES.md)."""

from __future__ import annotations

from django.contrib import admin

from jiceng.core.admin import SystemAdminModelAdmin, admin_site
from jiceng.insight.models_classifier import ClassifierModel
from jiceng.insight.models_routing import GazetteerEntry


# --- the classifier ---------------------------------------------------------------------------
@admin.register(ClassifierModel, site=admin_site)
class ClassifierModelAdmin(SystemAdminModelAdmin):
    list_display = ("version", "active", "sample_count", "trained_at", "trained_by", "sha256")
    list_filter = ("active",)
    list_select_related = ("trained_by",)
    ordering = ("-version",)


@admin.register(GazetteerEntry, site=admin_site)
class GazetteerEntryAdmin(SystemAdminModelAdmin):
    list_display = ("name", "kind", "unit", "aliases", "number_from", "number_to", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "aliases", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit__path", "kind", "name", "number_from")
