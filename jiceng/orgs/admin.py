from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiceng.core.admin import SystemAdminModelAdmin, admin_actor, admin_site, is_system_admin
from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User
from jiceng.orgs.services import api_key_create, api_key_revoke


@admin.register(User, site=admin_site)
class UserAdmin(SystemAdminModelAdmin):
    list_display = ("username", "display_name", "phone", "is_active", "last_login")
    list_filter = ("is_active",)
    search_fields = ("username", "display_name", "phone")
    exclude = ("password", "user_permissions", "groups")


@admin.register(OrgUnit, site=admin_site)
class OrgUnitAdmin(SystemAdminModelAdmin):
    list_display = ("code", "name", "kind", "population", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    ordering = ("path",)


@admin.register(Membership, site=admin_site)
class MembershipAdmin(SystemAdminModelAdmin):
    list_display = ("user", "role", "unit", "title", "is_active", "created_at", "ended_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "unit__code", "unit__name")
    list_select_related = ("user", "unit")


class ApiKeyCreateForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "unit")


@admin.action(description=_("Revoke the selected keys"))
def revoke_keys(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
    for api_key in queryset:
        api_key_revoke(
            actor=admin_actor(request), api_key=api_key, reason=gettext("Revoked in the admin")
        )


@admin.register(ApiKey, site=admin_site)
class ApiKeyAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "prefix",
        "unit",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "unit__code")
    list_select_related = ("unit", "created_by")
    actions = [revoke_keys]
    exclude = ("key_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request)

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
            kwargs["fields"] = ("name", "unit")
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        api_key, raw_key = api_key_create(actor=admin_actor(request), name=obj.name, unit=obj.unit)
        obj.pk = api_key.pk
        messages.warning(
            request,
            gettext("Copy this key now; it will not be shown again: %(key)s") % {"key": raw_key},
        )
