"""Care-list pages. Thin: parse, call one service or selector, render.

Everyone without care work (district administrators, discipline inspectors, system
administrators) and everyone outside a household's unit and the units above it gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.orgs.views import staff_required
from jiceng.support import care_export, care_selectors, care_services
from jiceng.support.forms_care import (
    CareCloseForm,
    CareExportForm,
    CareFilterForm,
    CareTargetForm,
    CareVisitForm,
    RaiseCaseForm,
    case_category_choices,
    case_category_initial,
)
from jiceng.support.permissions_care import may, works_on_care


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def care_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff who do care work; 404 for the others, as for a household they may not see."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not works_on_care(_actor(request)):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@care_staff
@require_GET
def care_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = CareFilterForm(request.GET or None)
    filters = form.filters()
    page = paginate(request, care_selectors.care_targets_listed(actor, filters))
    return render(
        request,
        "support/care_list.html",
        {
            "page": page,
            "form": form,
            "today": care_services.care_today(),
            "can_manage": may(actor, "manage"),
            "export_query": request.GET.urlencode(),
        },
    )


@care_staff
@require_http_methods(["GET", "POST"])
def care_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not may(actor, "manage"):
        raise Http404
    form = CareTargetForm(request.POST or None, actor_unit=actor.unit)
    if request.method == "POST" and form.is_valid():
        target = call_service(
            form,
            lambda: care_services.care_target_create(
                actor=actor,
                unit=form.cleaned_data["unit"],
                details=form.details(),
                responsible=list(form.cleaned_data["responsible"]),
            ),
        )
        if target is not None:
            messages.success(request, _("The household is on the care list."))
            return redirect("care_detail", pk=target.pk)
    return render(request, "support/care_form.html", {"form": form, "target": None})


@care_staff
@require_GET
def care_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = care_selectors.care_target_get(actor, pk=pk)
    visits = care_selectors.care_visits_of(actor, target)
    can_raise = may(actor, "raise_case", target) and target.is_active
    need_forms: dict[int, RaiseCaseForm] = {}
    if can_raise:
        choices = case_category_choices()
        initial = case_category_initial(target.category, choices)
        for visit in visits:
            for need in visit.needs.all():
                if need.case_id is None:
                    need_forms[need.pk] = RaiseCaseForm(
                        choices=choices, initial={"category": initial}, prefix=f"need{need.pk}"
                    )
    today = care_services.care_today()
    return render(
        request,
        "support/care_detail.html",
        {
            "target": target,
            "visits": visits,
            "responsible": target.responsible.select_related("user", "unit").order_by("pk"),
            "need_forms": need_forms,
            "overdue": target.is_active and target.next_due_on < today,
            "can_manage": may(actor, "manage", target) and target.is_active,
            "can_visit": may(actor, "visit", target) and target.is_active,
            "close_form": CareCloseForm(),
        },
    )


@care_staff
@require_http_methods(["GET", "POST"])
def care_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = care_selectors.care_target_get(actor, pk=pk, action="manage")
    form = CareTargetForm(
        request.POST or None,
        actor_unit=actor.unit,
        target=target,
        initial=CareTargetForm.initial_for(target),
    )
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: care_services.care_target_update(
                actor=actor,
                target=target,
                details=form.details(),
                responsible=list(form.cleaned_data["responsible"]),
            ),
        )
        if done is not None:
            messages.success(request, _("The household's details are saved."))
            return redirect("care_detail", pk=target.pk)
    return render(request, "support/care_form.html", {"form": form, "target": target})


@care_staff
@require_POST
def care_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = care_selectors.care_target_get(actor, pk=pk, action="manage")
    form = CareCloseForm(request.POST)
    if form.is_valid():
        done = call_service(
            form,
            lambda: care_services.care_target_close(
                actor=actor, target=target, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, _("The household is taken off the care list."))
            return redirect("care_detail", pk=target.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("care_detail", pk=target.pk)


@care_staff
@require_http_methods(["GET", "POST"])
def care_visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    target = care_selectors.care_target_get(actor, pk=pk, action="visit")
    form = CareVisitForm(
        request.POST or None, target=target, initial={"visited_on": care_services.care_today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visit = call_service(
            form,
            lambda: care_services.care_visit_record(
                actor=actor,
                target=target,
                visited_on=data["visited_on"],
                form=data["form"],
                findings=data["findings"],
                needs=form.need_lines(),
                visitor=data["visitor"],
            ),
        )
        if visit is not None:
            messages.success(request, _("The visit is recorded."))
            return redirect("care_detail", pk=target.pk)
    return render(request, "support/care_visit_form.html", {"form": form, "target": target})


@care_staff
@require_POST
def care_need_case(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the need becomes a request through the cases app's intake."""
    actor = _actor(request)
    need = care_selectors.care_need_get(actor, pk=pk, action="raise_case")
    target_pk = need.visit.target_id
    form = RaiseCaseForm(request.POST, choices=case_category_choices(), prefix=f"need{need.pk}")
    if form.is_valid():
        case = call_service(
            form,
            lambda: care_services.care_need_raise_case(
                actor=actor, need=need, category=form.cleaned_data["category"]
            ),
        )
        if case is not None:
            messages.success(
                request,
                _("Request %(code)s has been entered from this need.")
                % {"code": case.tracking_code},
            )
            return redirect("care_detail", pk=target_pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("care_detail", pk=target_pk)


@care_staff
@require_GET
def care_export_view(request: HttpRequest) -> HttpResponse:
    """The care list with the list's filters, masked, as CSV or XLSX (`format`)."""
    actor = _actor(request)
    if not may(actor, "export"):
        raise Http404
    form = CareExportForm(request.GET)
    if not form.is_valid():
        raise DomainError(_("Choose CSV or XLSX, and valid filters."))
    export = care_export.care_list_export(
        actor=actor, fmt=form.cleaned_data["format"], filters=form.filters()
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
