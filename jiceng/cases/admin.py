"""Request categories and the monthly rate tallies in the Django admin, read-only.

The requests themselves are not in the admin: system administrators do not see residents'
requests (docs/CASES.md); every write goes through the workflow's services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiceng.cases.models import Category, RateTally
from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column


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
        column("month", _("month")),
        column("unit", _("unit")),
        column("responded_in_time", _("responded in time")),
        column("due_response", _("due response")),
        column("resolved_in_time", _("resolved in time")),
        column("resolved", _("resolved")),
        column("satisfied", _("satisfied")),
        column("rated", _("rated")),
        column("built_at", _("built at")),
    )
    search_fields = ("unit__code", "unit__name")
    list_select_related = ("unit",)
    date_hierarchy = "month"
    ordering = ("-month", "unit__path")
