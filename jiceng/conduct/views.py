"""Pages of supervision visits and rectification. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.conduct import selectors
from jiceng.conduct.forms import (
    FindingFormSet,
    InspectionForm,
    ItemFilterForm,
    ProgressForm,
    ReturnForm,
    RollupForm,
    UnitChoiceForm,
    VerifyForm,
)
from jiceng.conduct.models import FindingPhoto, RectificationEvidence, RectificationItem
from jiceng.conduct.permissions import may_report, may_supervise, reads_conduct
from jiceng.conduct.rectification_rollup import Period
from jiceng.conduct.rectification_services import (
    rectification_report,
    rectification_return,
    rectification_verify,
)
from jiceng.conduct.supervision_services import inspection_record
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import Page, page_number, paginate
from jiceng.orgs.roles import Capability
from jiceng.orgs.selectors import units_visible
from jiceng.orgs.views import staff_required


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _conduct_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff who supervise or record support work."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not reads_conduct(_actor(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _flash_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


# --- supervision visits -----------------------------------------------------------------------
@_conduct_staff
def visit_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    page = paginate(request, selectors.inspections_for(actor))
    return render(
        request,
        "conduct/visit_list.html",
        {"page": page, "may_record": actor.has_capability(Capability.SUPERVISE)},
    )


@_conduct_staff
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    """Step one chooses the unit (`?unit=CODE`); step two records the visit and its findings."""
    actor = _actor(request)
    if not actor.has_capability(Capability.SUPERVISE):
        raise PermissionDenied
    units = selectors.units_to_inspect(actor)
    chooser = UnitChoiceForm(request.GET or None, units=units)
    if not chooser.is_valid():
        return render(request, "conduct/visit_unit.html", {"form": chooser})
    unit = chooser.cleaned_data["unit"]
    members = selectors.unit_members(unit)
    post = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = InspectionForm(post, initial={"visited_on": timezone.localdate()})
    findings = FindingFormSet(post, files, prefix="finding", form_kwargs={"members": members})
    if request.method == "POST" and form.is_valid() and findings.is_valid():
        data = form.cleaned_data
        inspection = call_service(
            form,
            lambda: inspection_record(
                actor=actor,
                unit=unit,
                visited_on=data["visited_on"],
                people_met=data["people_met"],
                checked=data["checked"],
                findings=[f.finding() for f in findings.forms if f.has_changed()],
            ),
        )
        if inspection is not None:
            count = inspection.findings.count()
            messages.success(
                request,
                ngettext(
                    "The visit is recorded; %(count)d rectification item was opened.",
                    "The visit is recorded; %(count)d rectification items were opened.",
                    count,
                )
                % {"count": count},
            )
            return redirect("conduct_visit_detail", pk=inspection.pk)
    return render(
        request, "conduct/visit_form.html", {"form": form, "findings": findings, "unit": unit}
    )


@_conduct_staff
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = selectors.inspection_get(_actor(request), pk=pk)
    return render(
        request,
        "conduct/visit_detail.html",
        {"inspection": inspection, "findings": selectors.inspection_findings(inspection)},
    )


@_conduct_staff
def finding_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    inspection = selectors.inspection_get(_actor(request), pk=pk)
    try:
        photo = FindingPhoto.objects.get(pk=photo_id, finding__inspection=inspection)
    except FindingPhoto.DoesNotExist:
        raise Http404 from None
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- rectification ----------------------------------------------------------------------------
@_conduct_staff
def rectification_list(request: HttpRequest) -> HttpResponse:
    """The items of my unit (and of units below it): the unit's work first, overdue shown."""
    actor = _actor(request)
    form = ItemFilterForm(request.GET or None, units=units_visible(actor))
    valid = form.is_valid()
    status = form.cleaned_data["status"] if valid else ""
    unit = form.cleaned_data["unit"] if valid else None
    page = paginate(request, selectors.rectification_items(actor, unit=unit, status=status))
    return render(
        request,
        "conduct/rectification_list.html",
        {"page": page, "form": form, "now": timezone.now(), "unit": unit},
    )


def _item_forms(actor: Actor, item: RectificationItem) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    if item.awaits_unit and may_report(actor, item):
        forms["report"] = ProgressForm(prefix="report", initial={"progress": item.progress})
    if item.status == "reported" and may_supervise(actor, item):
        forms["verify"] = VerifyForm(prefix="verify")
        forms["return"] = ReturnForm(prefix="return")
    return forms


@_conduct_staff
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    item = selectors.rectification_get(actor, pk=pk)
    return _render_item(request, actor, item, _item_forms(actor, item))


def _render_item(
    request: HttpRequest,
    actor: Actor,
    item: RectificationItem,
    forms: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    context = {
        "item": item,
        "events": selectors.rectification_timeline(item),
        "action_forms": forms,
        "now": timezone.now(),
        "visit_id": selectors.source_visit_id(item),
    }
    return render(request, "conduct/rectification_detail.html", context, status=status)


FORM_CLASSES = {"report": ProgressForm, "verify": VerifyForm, "return": ReturnForm}


@_conduct_staff
@require_POST
def rectification_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One endpoint for the item's forms; a refused form is shown again with its errors."""
    actor = _actor(request)
    item = selectors.rectification_get(actor, pk=pk)
    forms = _item_forms(actor, item)
    if action not in FORM_CLASSES:
        raise Http404
    if action not in forms:
        messages.error(request, _("This action is not available for this item any more."))
        return redirect("conduct_rectification_detail", pk=item.pk)
    form = FORM_CLASSES[action](request.POST, request.FILES, prefix=action)
    forms[action] = form
    if form.is_valid():
        data = form.cleaned_data
        calls: dict[str, Callable[[], Any]] = {
            "report": lambda: rectification_report(
                actor=actor,
                item=item,
                progress=data["progress"],
                note=data["note"],
                evidence=data["evidence"],
            ),
            "verify": lambda: rectification_verify(actor=actor, item=item, note=data["note"]),
            "return": lambda: rectification_return(actor=actor, item=item, reason=data["reason"]),
        }
        if call_service(form, calls[action]) is not None:
            messages.success(request, _("Done."))
            return redirect("conduct_rectification_detail", pk=item.pk)
    return _render_item(request, actor, item, forms, status=400)


@_conduct_staff
def rectification_evidence(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    item = selectors.rectification_get(_actor(request), pk=pk)
    try:
        evidence = RectificationEvidence.objects.get(pk=evidence_id, event__item=item)
    except RectificationEvidence.DoesNotExist:
        raise Http404 from None
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=evidence.original_name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- roll-up ----------------------------------------------------------------------------------
ROLLUP_PAGE_SIZE = 25


def _period_query(period: Period, sort: str) -> str:
    return urlencode(
        {"start": period.start.isoformat(), "end": period.end.isoformat(), "sort": sort}
    )


@_conduct_staff
def rectification_rollup(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """The progress of each unit below one level: my unit's children, or a visible unit's."""
    actor = _actor(request)
    if code is None:
        unit = actor.unit
        assert unit is not None
    else:
        unit = units_visible(actor).filter(code=code).first()
        if unit is None:
            raise Http404
    today = timezone.localdate()
    default = selectors.default_period(today)
    form = RollupForm(
        request.GET if "start" in request.GET else None,
        initial={"start": default.start, "end": default.end, "sort": "name"},
    )
    period = form.period() if form.is_valid() else default
    sort = (form.cleaned_data.get("sort") or "name") if form.is_valid() else "name"
    total, rows = selectors.rectification_rollup_rows(actor, unit, period, sort=sort)
    number = page_number(request)
    offset = (number - 1) * ROLLUP_PAGE_SIZE
    page: Page[Any] = Page(
        items=rows[offset : offset + ROLLUP_PAGE_SIZE],
        number=number,
        page_size=ROLLUP_PAGE_SIZE,
        has_next=len(rows) > offset + ROLLUP_PAGE_SIZE,
        query=request.GET,
    )
    return render(
        request,
        "conduct/rollup.html",
        {
            "unit": unit,
            "form": form,
            "period": period,
            "total": total,
            "page": page,
            "drill_query": _period_query(period, sort),
            "sort": sort,
            "sort_urls": {key: "?" + _period_query(period, key) for key in selectors.ROLLUP_SORTS},
        },
    )
