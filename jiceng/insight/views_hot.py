"""The hot-issue pages (最关心的问题) and adoption as issue of the month (每月一题). Thin."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.insight import hot_services
from jiceng.insight.models_hot import IssueOfMonth
from jiceng.insight.permissions_hot import reads_hot_issues
from jiceng.insight.selectors_hot import (
    adoptions_of,
    hot_issue_cases,
    hot_issue_get,
    hot_issue_rows,
    row_of,
)
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind
from jiceng.orgs.views import staff_required

DRILL_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP, UnitKind.COMMUNITY, UnitKind.VILLAGE)


class MonthForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": gettext_lazy("Give the month as YYYY-MM.")},
    )


class AdoptForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What the street will do"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@staff_required
def hot_issue_list(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor = _actor(request)
    if not reads_hot_issues(actor):
        raise Http404
    assert actor.unit is not None
    unit = actor.unit if code is None else OrgUnit.objects.filter(code=code).first()
    if unit is None or not unit.path.startswith(actor.unit.path):
        raise Http404
    this_month = timezone.localdate(clock.now()).replace(day=1)
    form = MonthForm(request.GET if "month" in request.GET else None)
    month: date = this_month
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"].replace(day=1)
    elif not form.is_bound:
        form = MonthForm(initial={"month": this_month})
    rows = hot_issue_rows(actor, unit=unit, month=month)
    below = OrgUnit.objects.filter(
        path__startswith=unit.path, depth=unit.depth + 1, kind__in=DRILL_KINDS
    ).order_by("path")
    return render(
        request,
        "insight/hot_issue_list.html",
        {
            "unit": unit,
            "month": month,
            "form": form,
            "rows": rows,
            "below": below,
            "adoptions": list(adoptions_of(actor, unit=unit)[:12]),
        },
    )


@staff_required
def hot_issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    issue = hot_issue_get(actor, pk=pk)
    page = paginate(request, hot_issue_cases(actor, issue), page_size=25, keyset="submitted_at")
    row = row_of(issue, clock.now())
    may_adopt = row.adoption is None and hot_services.may_adopt(actor, issue)
    return render(
        request,
        "insight/hot_issue_detail.html",
        {"issue": issue, "row": row, "page": page, "may_adopt": may_adopt, "form": AdoptForm()},
    )


@require_POST
@staff_required
def hot_issue_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    issue = hot_issue_get(actor, pk=pk)
    form = AdoptForm(request.POST)
    adopted: IssueOfMonth | None = None
    if form.is_valid():
        adopted = call_service(
            form,
            lambda: hot_services.issue_of_month_adopt(
                actor=actor, issue=issue, note=form.cleaned_data["note"]
            ),
        )
    if adopted is not None:
        messages.success(request, _("The street adopted this issue as its issue of the month."))
        return redirect("hot_issue_detail", pk=issue.pk)
    page = paginate(request, hot_issue_cases(actor, issue), page_size=25, keyset="submitted_at")
    return render(
        request,
        "insight/hot_issue_detail.html",
        {
            "issue": issue,
            "row": row_of(issue, clock.now()),
            "page": page,
            "may_adopt": hot_services.may_adopt(actor, issue),
            "form": form,
        },
        status=400,
    )
