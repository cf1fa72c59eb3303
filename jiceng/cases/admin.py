"""Request categories and the monthly rate tallies in the Django admin, read-only.

The requests themselves are not in the admin: system administrators do not see residents'
requests (docs/CASES.md); every write goes through the workflow's services."""

from __future__ import annotations

from django.contrib import admin

from jiceng.cases.models import Category, RateTally
from jiceng.core.admin import SystemAdminModelAdmin, admin_site


@admin.register(Category, site=admin_site)
class CategoryAdmin(SystemAdminModelAdmin):
    """Read-only: `category_save` checks the deadlines and audits the change; district
    administrators edit categories under *Categories and deadlines*."""

    list_display = (
        "code",
        "name",
        "name_en",
        "parent",
        "responsible_level",
        "respond_hours",
        "resolve_days",
        "position",
        "is_active",
    )
    list_filter = ("responsible_level", "is_active")
    search_fields = ("code", "name", "name_en", "keywords")
    list_select_related = ("parent",)
    ordering = ("position", "code")


@admin.register(RateTally, site=admin_site)
class RateTallyAdmin(SystemAdminModelAdmin):
    list_display = (
        "month",
        "unit",
        "responded_in_time",
        "due_response",
        "resolved_in_time",
        "resolved",
        "satisfied",
        "rated",
        "built_at",
    )
    search_fields = ("unit__code", "unit__name")
    list_select_related = ("unit",)
    date_hierarchy = "month"
    ordering = ("-month", "unit__path")
