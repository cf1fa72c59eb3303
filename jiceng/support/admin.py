"""The guarantees in the Django admin, read-only: the care list, the fund ledger (append-only,
corrected by reversals), the staff books and the venues all change through their services, which
check the unit, keep the schedules and audit each step. Phone numbers and ID fragments of the
households on the care list, and staff members' phones, are shown masked."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column
from jiceng.core.privacy import mask_phone
from jiceng.support.care_export import mask_id_fragment
from jiceng.support.models import (
    CareNeed,
    CareTarget,
    CareVisit,
    DutyShift,
    Equipment,
    FundEntry,
    FundVoucher,
    HoursException,
    OpeningPeriod,
    SpotCheck,
    StaffMember,
    TrainingRecord,
    Venue,
    VenueActivity,
    VenueCheckIn,
    VenuePhoto,
)


# --- the care list ----------------------------------------------------------------------------
@admin.register(CareTarget, site=admin_site)
class CareTargetAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "category",
        "unit",
        "masked_phone",
        "masked_id",
        "frequency",
        "next_due_on",
        "last_visit_on",
        "is_active",
    )
    list_filter = ("category", "frequency", "is_active")
    search_fields = ("name", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit_path", "name", "pk")
    exclude = ("phone", "id_last4")
    readonly_fields = ("masked_phone", "masked_id")

    @admin.display(description=_("phone (masked)"))
    def masked_phone(self, obj: CareTarget) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("ID card number, last 4 characters (masked)"))
    def masked_id(self, obj: CareTarget) -> str:
        return mask_id_fragment(obj.id_last4)


@admin.register(CareVisit, site=admin_site)
class CareVisitAdmin(SystemAdminModelAdmin):
    list_display = ("visited_on", "target", "form", "visited_by", "recorded_by")
    list_filter = ("form",)
    search_fields = ("target__name",)
    list_select_related = ("target", "visited_by", "recorded_by")
    date_hierarchy = "visited_on"
    ordering = ("-visited_on", "-pk")


@admin.register(CareNeed, site=admin_site)
class CareNeedAdmin(SystemAdminModelAdmin):
    list_display = ("text", "visit", "case", "case_raised_by")
    search_fields = ("text",)
    list_select_related = ("visit__target", "case", "case_raised_by")
    ordering = ("-pk",)


# --- the fund ledger --------------------------------------------------------------------------
@admin.register(FundEntry, site=admin_site)
class FundEntryAdmin(SystemAdminModelAdmin):
    """Append-only: corrected by reversals through `fund_reverse`, never edited or deleted."""

    list_display = (
        "entry_date",
        "unit",
        "year",
        "kind",
        "status",
        "source",
        "category",
        "amount",
        "payee",
        "reverses",
        "recorded_by",
    )
    list_filter = ("kind", "status", "source", "category", "year")
    search_fields = ("unit__code", "unit__name", "payee", "purpose")
    list_select_related = ("unit", "reverses", "recorded_by")
    date_hierarchy = "entry_date"
    ordering = ("-recorded_at", "-pk")


@admin.register(FundVoucher, site=admin_site)
class FundVoucherAdmin(SystemAdminModelAdmin):
    list_display = ("uploaded_at", "original_name", "entry", "content_type", "size", "uploaded_by")
    search_fields = ("original_name", "sha256")
    list_select_related = ("entry", "uploaded_by")
    date_hierarchy = "uploaded_at"
    ordering = ("-uploaded_at", "-pk")


# --- staff and equipment ----------------------------------------------------------------------
@admin.register(StaffMember, site=admin_site)
class StaffMemberAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "unit",
        "position",
        "employment",
        "masked_phone",
        "joined_on",
        "left_on",
    )
    list_filter = ("employment",)
    search_fields = ("name", "position", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit_path", "name", "pk")
    exclude = ("phone",)
    readonly_fields = ("masked_phone",)

    @admin.display(description=_("phone (masked)"))
    def masked_phone(self, obj: StaffMember) -> str:
        return mask_phone(obj.phone)


@admin.register(TrainingRecord, site=admin_site)
class TrainingRecordAdmin(SystemAdminModelAdmin):
    list_display = ("date", "staff", "topic", "hours", "recorded_by")
    search_fields = ("topic", "staff__name")
    list_select_related = ("staff", "recorded_by")
    date_hierarchy = "date"
    ordering = ("-date", "-pk")


@admin.register(Equipment, site=admin_site)
class EquipmentAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "unit",
        "kind",
        "quantity",
        "condition",
        "last_checked_on",
        "next_check_due",
    )
    list_filter = ("kind", "condition")
    search_fields = ("name", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit_path", "name", "pk")


# --- venues -----------------------------------------------------------------------------------
@admin.register(Venue, site=admin_site)
class VenueAdmin(SystemAdminModelAdmin):
    list_display = (
        "name",
        "unit",
        "kind",
        "capacity",
        column("public_code", _("public code")),
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("name", "address", "public_code", "unit__code", "unit__name")
    list_select_related = ("unit",)
    ordering = ("unit_path", "name", "pk")


@admin.register(OpeningPeriod, site=admin_site)
class OpeningPeriodAdmin(SystemAdminModelAdmin):
    list_display = (column("venue", _("venue")), "weekday", "opens", "closes")
    list_filter = ("weekday",)
    search_fields = ("venue__name",)
    list_select_related = ("venue",)
    ordering = ("venue__unit_path", "venue__name", "weekday", "opens")


@admin.register(HoursException, site=admin_site)
class HoursExceptionAdmin(SystemAdminModelAdmin):
    list_display = ("date", column("venue", _("venue")), "opens", "closes", "note")
    search_fields = ("venue__name", "note")
    list_select_related = ("venue",)
    date_hierarchy = "date"
    ordering = ("-date", "venue__name")


@admin.register(VenuePhoto, site=admin_site)
class VenuePhotoAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        column("venue", _("venue")),
        column("activity", _("activity")),
        column("spot_check", _("spot check")),
        "content_type",
        "size",
    )
    search_fields = ("venue__name", "sha256")
    list_select_related = ("venue", "activity", "spot_check")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(DutyShift, site=admin_site)
class DutyShiftAdmin(SystemAdminModelAdmin):
    list_display = ("starts_at", "ends_at", column("venue", _("venue")), "person", "note")
    search_fields = ("venue__name", "person__username", "person__display_name")
    list_select_related = ("venue", "person")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "-pk")


@admin.register(VenueCheckIn, site=admin_site)
class VenueCheckInAdmin(SystemAdminModelAdmin):
    list_display = ("at", column("venue", _("venue")), "service", "rating", "within_hours")
    list_filter = ("service", "rating", "within_hours")
    search_fields = ("venue__name",)
    list_select_related = ("venue",)
    date_hierarchy = "at"
    ordering = ("-at", "-pk")
    exclude = ("device_hash", "address_hash")
    show_full_result_count = False


@admin.register(VenueActivity, site=admin_site)
class VenueActivityAdmin(SystemAdminModelAdmin):
    list_display = (
        "starts_at",
        "topic",
        column("venue", _("venue")),
        "kind",
        "attendance",
        "logged_by",
        "closed_at",
    )
    list_filter = ("kind",)
    search_fields = ("topic", "venue__name")
    list_select_related = ("venue", "logged_by")
    date_hierarchy = "starts_at"
    ordering = ("-starts_at", "-pk")


@admin.register(SpotCheck, site=admin_site)
class SpotCheckAdmin(SystemAdminModelAdmin):
    list_display = (
        "checked_at",
        column("venue", _("venue")),
        "inspector",
        column("inspector_unit", _("inspector unit")),
        "within_hours",
        "found_open",
        "staff_present",
        "condition",
        "rectification",
    )
    list_filter = ("condition", "found_open", "within_hours")
    search_fields = ("venue__name",)
    list_select_related = ("venue", "inspector", "inspector_unit", "rectification")
    date_hierarchy = "checked_at"
    ordering = ("-checked_at", "-pk")
