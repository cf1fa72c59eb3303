"""Pages of the fund ledger, the staff roster and the equipment inventory (/support/funds/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.core.permissions import can
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.views import staff_required
from jiceng.support import fund_selectors as funds
from jiceng.support import fund_services, staff_services
from jiceng.support import staff_selectors as roster
from jiceng.support.forms_funds import (
    AllocationForm,
    DecisionForm,
    EquipmentCheckForm,
    EquipmentForm,
    ExpenseForm,
    LeaveForm,
    ReversalForm,
    StaffForm,
    TrainingForm,
    VoucherForm,
)
from jiceng.support.fund_xlsx import ledger_workbook, roster_workbook
from jiceng.support.models import FundEntry, FundKind, FundStatus
from jiceng.support.permissions_funds import approves, manages_unit, reads_support

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _reader(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not reads_support(actor):
        raise PermissionDenied
    return actor


def _own_unit(request: HttpRequest) -> tuple[Actor, OrgUnit]:
    """The actor and their unit, when they keep its records; 403 otherwise."""
    actor = _actor(request)
    if actor.unit is None or not manages_unit(actor, actor.unit.pk):
        raise PermissionDenied
    return actor, actor.unit


def _year(request: HttpRequest) -> int:
    this_year = timezone.localdate(clock.now()).year
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year
    return year if 2000 <= year <= this_year + 1 else this_year


def _act(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    try:
        action()
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True


def _flash_form_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _ledger_url(unit: OrgUnit, year: int) -> str:
    return f"{reverse('fund_ledger')}?{urlencode({'unit': unit.code, 'year': str(year)})}"


# --- ledger ---------------------------------------------------------------------------------
@staff_required
def fund_ledger(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    unit = funds.support_unit_get(actor, request.GET.get("unit"))
    year = _year(request)
    figures = funds.fund_execution(unit, year, actor=actor)
    children = list(
        funds.support_units(actor).filter(path__startswith=unit.path, depth=unit.depth + 1)
    )
    child_figures = funds.fund_figures_by_unit(actor, units=children, year=year)
    page = paginate(request, funds.fund_entries(actor, unit=unit, year=year))
    return render(
        request,
        "support/fund_ledger.html",
        {
            "unit": unit,
            "year": year,
            "years": sorted(
                {year, timezone.localdate(clock.now()).year, *funds.fund_years(actor, unit=unit)},
                reverse=True,
            ),
            "figures": figures,
            "children": [(child, child_figures[child.pk]) for child in children],
            "page": page,
            "manages": manages_unit(actor, unit.pk),
            "approves": approves(actor),
            "threshold": fund_services.approval_threshold(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def fund_allocation_new(request: HttpRequest) -> HttpResponse:
    actor, unit = _own_unit(request)
    year = timezone.localdate(clock.now()).year
    form = AllocationForm(request.POST or None, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        entry = call_service(
            form,
            lambda: fund_services.fund_allocation_record(
                actor=actor, unit=unit, **form.cleaned_data
            ),
        )
        if entry is not None:
            messages.success(request, _("The allocation is booked."))
            return redirect(_ledger_url(unit, entry.year))
    return render(
        request,
        "support/fund_form.html",
        {"form": form, "unit": unit, "title": _("Book an allocation")},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def fund_expense_new(request: HttpRequest) -> HttpResponse:
    actor, unit = _own_unit(request)
    form = ExpenseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        entry = call_service(
            form,
            lambda: fund_services.fund_expense_record(actor=actor, unit=unit, **form.cleaned_data),
        )
        if entry is not None:
            if entry.status == FundStatus.PENDING:
                messages.success(
                    request,
                    _("The expenditure is recorded and waits for the secretary's approval."),
                )
            else:
                messages.success(request, _("The expenditure is booked."))
            return redirect("fund_entry_detail", entry.pk)
    return render(
        request,
        "support/fund_form.html",
        {
            "form": form,
            "unit": unit,
            "title": _("Record an expenditure"),
            "multipart": True,
            "threshold": fund_services.approval_threshold(),
        },
        status=400 if form.errors else 200,
    )


@staff_required
def fund_entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    entry = funds.fund_entry_get(actor, pk=pk)
    reversal = getattr(entry, "reversed_by", None)
    can_decide = entry.status == FundStatus.PENDING and approves(actor, entry)
    can_reverse = (
        entry.kind in (FundKind.ALLOCATION, FundKind.EXPENSE)
        and entry.status == FundStatus.APPROVED
        and reversal is None
        and can(actor, "reverse", FundEntry, entry)
    )
    return render(
        request,
        "support/fund_entry.html",
        {
            "entry": entry,
            "reversal": reversal,
            "vouchers": list(entry.vouchers.all()),
            "can_decide": can_decide,
            "own_pending": entry.status == FundStatus.PENDING
            and actor.user is not None
            and entry.recorded_by_id == actor.user.pk,
            "can_reverse": can_reverse,
            "can_add_voucher": entry.kind == FundKind.EXPENSE
            and manages_unit(actor, entry.unit_id),
            "decision_form": DecisionForm(),
            "voucher_form": VoucherForm(),
            "ledger_url": _ledger_url(entry.unit, entry.year),
        },
    )


@staff_required
@require_POST
def fund_entry_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    entry = funds.fund_entry_get(actor, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("fund_entry_detail", pk)
    note = form.cleaned_data["note"]
    if form.cleaned_data["decision"] == "approve":
        _act(
            request,
            lambda: fund_services.fund_expense_approve(actor=actor, entry=entry, note=note),
            _("The expenditure is approved and now counts as spent."),
        )
    else:
        _act(
            request,
            lambda: fund_services.fund_expense_reject(actor=actor, entry=entry, note=note),
            _("The expenditure is rejected."),
        )
    return redirect("fund_entry_detail", pk)


@staff_required
@require_http_methods(["GET", "POST"])
def fund_entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    entry = funds.fund_entry_get(actor, pk=pk, action="reverse")
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reversal = call_service(
            form,
            lambda: fund_services.fund_entry_reverse(
                actor=actor, entry=entry, reason=form.cleaned_data["reason"]
            ),
        )
        if reversal is not None:
            messages.success(request, _("The entry is reversed."))
            return redirect("fund_entry_detail", pk)
    return render(
        request,
        "support/fund_reverse.html",
        {"form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def fund_voucher_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    entry = funds.fund_entry_get(actor, pk=pk)
    form = VoucherForm(request.POST, request.FILES)
    if not form.is_valid():
        _flash_form_errors(request, form)
        return redirect("fund_entry_detail", pk)
    _act(
        request,
        lambda: fund_services.fund_voucher_add(
            actor=actor, entry=entry, upload=form.cleaned_data["file"]
        ),
        _("The voucher is filed."),
    )
    return redirect("fund_entry_detail", pk)


@staff_required
def fund_voucher_file(request: HttpRequest, pk: int) -> FileResponse:
    voucher = funds.fund_voucher_get(_reader(request), pk=pk)
    response = FileResponse(
        voucher.file.open("rb"),
        content_type=voucher.content_type,
        as_attachment=True,
        filename=voucher.original_name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def fund_approvals(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not approves(actor):
        raise PermissionDenied
    page = paginate(request, funds.fund_approvals(actor))
    return render(request, "support/fund_approvals.html", {"page": page})


@staff_required
def fund_export(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    unit = funds.support_unit_get(actor, request.GET.get("unit"))
    year = _year(request)
    content = ledger_workbook(
        unit=unit,
        year=year,
        figures=funds.fund_execution(unit, year, actor=actor),
        entries=funds.fund_entries(actor, unit=unit, year=year)
        .order_by("entry_date", "pk")
        .iterator(),
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ledger-{unit.code}-{year}.xlsx"'
    return response


# --- staff ----------------------------------------------------------------------------------
@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    unit = funds.support_unit_get(actor, request.GET.get("unit"))
    include_left = request.GET.get("left") == "1"
    page = paginate(request, roster.staff_list(actor, unit=unit, include_left=include_left))
    rows = [(member, roster.shown_phone(actor, member)) for member in page]
    return render(
        request,
        "support/staff_list.html",
        {
            "unit": unit,
            "page": page,
            "rows": rows,
            "include_left": include_left,
            "ratio": roster.staff_ratio(unit, actor=actor),
            "manages": manages_unit(actor, unit.pk),
        },
    )


@staff_required
def staff_export(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    unit = funds.support_unit_get(actor, request.GET.get("unit"))
    content = roster_workbook(
        unit=unit,
        staff=roster.staff_list(actor, unit=unit, include_left=True).iterator(),
        phone_of=lambda member: roster.shown_phone(actor, member),
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="staff-{unit.code}.xlsx"'
    return response


def _staff_url(unit: OrgUnit) -> str:
    return f"{reverse('staff_list')}?{urlencode({'unit': unit.code})}"


@staff_required
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor, unit = _own_unit(request)
    member = roster.staff_get(actor, pk=pk, action="edit") if pk is not None else None
    initial = {"employment": "full_time"}
    if member is not None:
        initial = {
            key: getattr(member, key)
            for key in ("name", "position", "employment", "phone", "joined_on")
        }
    form = StaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if member is None:
            saved = call_service(
                form,
                lambda: staff_services.staff_add(actor=actor, unit=unit, **form.cleaned_data),
            )
        else:
            target = member
            saved = call_service(
                form,
                lambda: staff_services.staff_update(actor=actor, staff=target, **form.cleaned_data),
            )
        if saved is not None:
            messages.success(request, _("The roster is saved."))
            return redirect("staff_detail", saved.pk)
    return render(
        request,
        "support/staff_form.html",
        {"form": form, "member": member, "unit": unit},
        status=400 if form.errors else 200,
    )


@staff_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    member = roster.staff_get(actor, pk=pk)
    return render(
        request,
        "support/staff_detail.html",
        {
            "member": member,
            "phone": roster.shown_phone(actor, member),
            "trainings": list(roster.staff_trainings(actor, staff=member)[:200]),
            "manages": manages_unit(actor, member.unit_id) and member.is_active,
            "training_form": TrainingForm(),
            "leave_form": LeaveForm(),
        },
    )


@staff_required
@require_POST
def staff_training_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    member = roster.staff_get(actor, pk=pk, action="edit")
    form = TrainingForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
    else:
        _act(
            request,
            lambda: staff_services.staff_training_add(
                actor=actor, staff=member, **form.cleaned_data
            ),
            _("The training is recorded."),
        )
    return redirect("staff_detail", pk)


@staff_required
@require_POST
def staff_leave(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    member = roster.staff_get(actor, pk=pk, action="edit")
    form = LeaveForm(request.POST)
    if not form.is_valid():
        _flash_form_errors(request, form)
    else:
        _act(
            request,
            lambda: staff_services.staff_leave(
                actor=actor,
                staff=member,
                left_on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
            ),
            _("They are taken off the active roster; their record stays."),
        )
    return redirect("staff_detail", pk)


# --- equipment ------------------------------------------------------------------------------
@staff_required
def equipment_list(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    unit = funds.support_unit_get(actor, request.GET.get("unit"))
    overdue_only = request.GET.get("overdue") == "1"
    page = paginate(request, roster.equipment_list(actor, unit=unit, overdue_only=overdue_only))
    today = roster.today()
    return render(
        request,
        "support/equipment_list.html",
        {
            "unit": unit,
            "page": page,
            "rows": [(item, item.check_overdue(today)) for item in page],
            "overdue_only": overdue_only,
            "overdue_count": roster.equipment_overdue_count(actor, unit=unit),
            "manages": manages_unit(actor, unit.pk),
        },
    )


def _equipment_url(unit: OrgUnit) -> str:
    return f"{reverse('equipment_list')}?{urlencode({'unit': unit.code})}"


@staff_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor, unit = _own_unit(request)
    item = roster.equipment_get(actor, pk=pk, action="edit") if pk is not None else None
    initial: dict[str, Any] = {"quantity": 1}
    if item is not None:
        initial = {
            key: getattr(item, key)
            for key in (
                "name",
                "kind",
                "quantity",
                "condition",
                "last_checked_on",
                "next_check_due",
                "note",
            )
        }
    form = EquipmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if item is None:
            saved = call_service(
                form,
                lambda: staff_services.equipment_add(actor=actor, unit=unit, **form.cleaned_data),
            )
        else:
            target = item
            saved = call_service(
                form,
                lambda: staff_services.equipment_update(
                    actor=actor, equipment=target, **form.cleaned_data
                ),
            )
        if saved is not None:
            messages.success(request, _("The inventory is saved."))
            return redirect(_equipment_url(unit))
    return render(
        request,
        "support/equipment_form.html",
        {
            "form": form,
            "item": item,
            "unit": unit,
            "title": _("Edit equipment") if item else _("Add equipment"),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def equipment_check(request: HttpRequest, pk: int) -> HttpResponse:
    actor, unit = _own_unit(request)
    item = roster.equipment_get(actor, pk=pk, action="edit")
    form = EquipmentCheckForm(
        request.POST or None, initial={"checked_on": roster.today(), "condition": item.condition}
    )
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            lambda: staff_services.equipment_check(
                actor=actor, equipment=item, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("The check is recorded."))
            return redirect(_equipment_url(unit))
    return render(
        request,
        "support/equipment_form.html",
        {"form": form, "item": item, "unit": unit, "title": _("Record a check")},
        status=400 if form.errors else 200,
    )
