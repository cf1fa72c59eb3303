"""The Django admin, for system administrators only. Writes go through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from jiceng.core.actors import Actor
from jiceng.core.models import AuditEntry, CalendarDay
from jiceng.orgs.roles import Capability


def admin_actor(request: HttpRequest) -> Actor:
    return getattr(request, "actor", Actor(user=None))


def is_system_admin(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_authenticated:
        return False
    from jiceng.orgs.models import Membership
    from jiceng.orgs.roles import ROLE_CAPABILITIES

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.USE_ADMIN_SITE in caps]
    return Membership.objects.active().filter(user=user, role__in=roles).exists()


class JicengAdminSite(admin.AdminSite):
    site_header = _("Jiceng administration")
    site_title = _("Jiceng administration")
    index_title = _("System administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # One sign-in page for everyone, with its throttling; signed-in non-administrators
        # are refused rather than sent round to sign in again.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or request.get_full_path())


admin_site = JicengAdminSite(name="admin")


class SystemAdminModelAdmin(admin.ModelAdmin):
    """Read-only by default: records with history change through the services, not here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_system_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AuditEntry, site=admin_site)
class AuditEntryAdmin(SystemAdminModelAdmin):
    list_display = (
        "seq",
        "created_at",
        "action",
        "target_type",
        "target_label",
        "actor_user",
        "actor_unit",
    )
    list_filter = ("action",)
    search_fields = ("action", "target_id", "target_label", "request_id")
    list_select_related = ("actor_user", "actor_unit")
    show_full_result_count = False


@admin.register(CalendarDay, site=admin_site)
class CalendarDayAdmin(SystemAdminModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    fields = ("date", "kind", "name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_system_admin(request)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        from jiceng.core.services import calendar_day_set

        calendar_day_set(actor=admin_actor(request), date=obj.date, kind=obj.kind, name=obj.name)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        from jiceng.core.services import calendar_day_remove

        calendar_day_remove(actor=admin_actor(request), calendar_day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
