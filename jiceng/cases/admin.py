"""The requests in the Django admin: read-only, as every write goes through the workflow's
services (with its history, deadlines, notifications and audit entries). Reporters' contact
details are masked, and taken out of what they wrote; notifications about misconduct reports are
not listed at all."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jiceng.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    Category,
    Escalation,
    Feedback,
    Notification,
    RateTally,
    Reply,
    ResponseTemplate,
)
from jiceng.cases.open311 import redact
from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column
from jiceng.core.privacy import mask_phone


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


@admin.register(Case, site=admin_site)
class CaseAdmin(SystemAdminModelAdmin):
    list_display = (
        "tracking_code",
        "redacted_title",
        "category",
        "status",
        "priority",
        "channel",
        "current_unit",
        "masked_reporter_phone",
        "submitted_at",
        "resolve_by",
    )
    list_filter = ("status", "priority", "channel", "is_anonymous")
    search_fields = ("tracking_code", "title", "external_id")
    list_select_related = ("category", "current_unit")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-pk")
    exclude = ("title", "description", "reporter_name", "reporter_phone", "reporter_email")
    readonly_fields = ("redacted_title", "redacted_description", "masked_reporter_phone")
    show_full_result_count = False

    # The reporter's name, phone and e-mail, and anything that looks like a phone number, are
    # taken out of what residents wrote, as in the public Open311 answers.
    @admin.display(description=_("title"), ordering="title")
    def redacted_title(self, obj: Case) -> str:
        return redact(obj.title, obj)

    @admin.display(description=_("description"))
    def redacted_description(self, obj: Case) -> str:
        return redact(obj.description, obj)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Case | None:
        # The page's title and breadcrumbs show the case as text: redacted too. The copy is
        # only shown; nothing here saves it.
        case = super().get_object(request, object_id, from_field)
        if case is not None:
            case.title = redact(case.title, case)
        return case

    @admin.display(description=_("contact phone (masked)"))
    def masked_reporter_phone(self, obj: Case) -> str:
        return mask_phone(obj.reporter_phone)


@admin.register(CaseEvent, site=admin_site)
class CaseEventAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("case", _("case")),
        "kind",
        "status_after",
        "actor",
        column("actor_unit", _("actor unit")),
        column("from_unit", _("from unit")),
        column("to_unit", _("to unit")),
        "public",
    )
    list_filter = ("kind", "public")
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "actor", "actor_unit", "from_unit", "to_unit")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    show_full_result_count = False


@admin.register(Reply, site=admin_site)
class ReplyAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("case", _("case")),
        column("unit", _("unit")),
        column("author", _("replied by")),
        "is_resolution",
    )
    list_filter = ("is_resolution",)
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "unit", "author")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    show_full_result_count = False


@admin.register(Feedback, site=admin_site)
class FeedbackAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("case", _("case")),
        "solved",
        "satisfaction",
        "channel",
        "round",
    )
    list_filter = ("solved", "satisfaction", "channel")
    search_fields = ("case__tracking_code",)
    list_select_related = ("case",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(Escalation, site=admin_site)
class EscalationAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("case", _("case")),
        "reason",
        column("from_unit", _("from unit")),
        column("to_unit", _("to unit")),
        "deadline",
    )
    list_filter = ("reason",)
    search_fields = ("case__tracking_code",)
    list_select_related = ("case", "from_unit", "to_unit")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(Attachment, site=admin_site)
class AttachmentAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("case", _("case")),
        "content_type",
        "size",
    )
    list_filter = ("content_type",)
    search_fields = ("case__tracking_code", "sha256")
    list_select_related = ("case",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(ResponseTemplate, site=admin_site)
class ResponseTemplateAdmin(SystemAdminModelAdmin):
    """Read-only: `response_template_save` belongs to a unit's own staff and is audited."""

    list_display = (
        "title",
        column("unit", _("unit")),
        column("category", _("category")),
        "is_active",
        "updated_at",
    )
    list_filter = ("is_active",)
    search_fields = ("title", "body", "unit__code", "unit__name")
    list_select_related = ("unit", "category")
    ordering = ("title", "pk")


@admin.register(Notification, site=admin_site)
class NotificationAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("recipient", _("recipient")),
        "verb",
        column("case", _("case")),
        "read_at",
    )
    search_fields = ("recipient__username", "case__tracking_code")
    list_select_related = ("recipient", "case")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        # Notifications of misconduct reports are the discipline inspectors' alone.
        return super().get_queryset(request).exclude(verb__startswith="misconduct")


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
