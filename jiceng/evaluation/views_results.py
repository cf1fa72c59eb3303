"""Result pages: the round's table, computing and publishing, unit reports, export, appeals.

Thin: parse → one selector or service → render. Access follows ResultPolicy/AppealPolicy
through the selectors: anything the actor may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.pagination import paginate
from jiceng.core.permissions import can, visible
from jiceng.evaluation import result_selectors as selectors
from jiceng.evaluation import result_services as services
from jiceng.evaluation.models import Appeal, AppealStatus, Result, RoundState, UnitClass
from jiceng.evaluation.permissions import configures
from jiceng.evaluation.result_xlsx import results_workbook
from jiceng.evaluation.round_config import scoring_config
from jiceng.evaluation.round_selectors import round_unit_classes
from jiceng.evaluation.scoring import Source
from jiceng.evaluation.snapshot import snapshot_indicators
from jiceng.orgs.views import staff_required

PAGE_SIZE = 50
SOURCE_LABELS: dict[str, Any] = {
    Source.SELF: gettext_lazy("Self-assessment"),
    Source.RESIDENTS: gettext_lazy("Residents"),
    Source.SUPERIOR: gettext_lazy("Superior"),
}


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _row(result: Result) -> dict[str, Any]:
    details = result.details or {}
    return {
        "result": result,
        "unit": result.round_unit.unit,
        "grade_label": selectors.grade_label(result.grade) if result.grade else "",
        "flags": selectors.flag_labels(details),
        "gates": [selectors.GATE_LABELS.get(g, g) for g in details.get("gates", [])],
        "raters": details.get("raters", {}),
        "responses": details.get("residents", {}).get("responses"),
        "sensitivity": details.get("sensitivity", {}),
    }


class PublishForm(forms.Form):
    """Publishing. The page shows the confirmation only with units left unscored, labelled with
    how many; the service decides whether it was needed."""

    # The checkbox's value is the number of unscored units the page showed (see round_publish).
    unscored_confirmed = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args: Any, unscored: selectors.UnscoredBlock | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if unscored is not None and unscored.count:
            self.fields["unscored_confirmed"].label = ngettext(
                "Publish although %(count)d of %(total)d units has no score",
                "Publish although %(count)d of %(total)d units have no score",
                unscored.count,
            ) % {"count": unscored.count, "total": unscored.total}


@require_GET
@staff_required
def result_list(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk)
    sort = request.GET.get("sort", "rank")
    if sort not in selectors.SORTS:
        sort = "rank"
    page = paginate(request, selectors.round_results(actor, round_, sort=sort), page_size=PAGE_SIZE)
    in_review = round_.state == RoundState.REVIEW
    can_manage = configures(actor)
    unscored = selectors.unscored_results(actor, round_) if can_manage and in_review else None
    return render(
        request,
        "evaluation/result_list.html",
        {
            "round": round_,
            "page": page,
            "rows": [_row(result) for result in page.items],
            "sort": sort,
            "sorts": [
                ("rank", _("Rank")),
                ("composite", _("Composite")),
                ("self", _("Self-assessment")),
                ("residents", _("Residents")),
                ("superior", _("Superior")),
                ("unit", _("Unit")),
            ],
            "can_manage": can_manage,
            "in_review": in_review,
            "unscored": unscored,
            "unscored_rows": [_row(result) for result in unscored.results] if unscored else [],
            "publish_form": PublishForm(unscored=unscored) if unscored else None,
        },
    )


def _shift_label(source: str, points: float) -> str:
    sign = "+" if points > 0 else "−"
    return f"{SOURCE_LABELS[source]} {sign}{abs(points):g}"


def _sensitivity_row(result: Result, scenarios: tuple[tuple[Source, float], ...]) -> dict[str, Any]:
    sensitivity = (result.details or {}).get("sensitivity", {})
    stored = {
        (shift["source"], float(shift["points"])): shift.get("rank")
        for shift in sensitivity.get("shifts", [])
    }
    cells: list[dict[str, int | None]] = []
    moves: list[int] = []
    for source, points in scenarios:
        rank = stored.get((source, float(points)))
        movement = None if rank is None or result.rank is None else rank - result.rank
        if movement is not None:
            moves.append(abs(movement))
        cells.append(
            {
                "rank": rank,
                "up": -movement if movement is not None and movement < 0 else 0,
                "down": movement if movement is not None and movement > 0 else 0,
            }
        )
    return {
        "result": result,
        "unit": result.round_unit.unit,
        "unit_class": result.round_unit.get_unit_class_display(),
        "cells": cells,
        "movement": sensitivity.get("movement", max(moves, default=0)),
    }


@require_GET
@staff_required
def result_sensitivity(request: HttpRequest, pk: int) -> HttpResponse:
    """For the organiser: each unit's rank at the round's weights and under each shift."""
    actor = _actor(request)
    round_ = selectors.organised_round(actor, pk)
    config = scoring_config(round_.snapshot.get("config"))
    scenarios = config.sensitivity_scenarios()
    classes = round_unit_classes(round_)
    page = paginate(request, selectors.sensitivity_results(actor, round_), page_size=PAGE_SIZE)
    return render(
        request,
        "evaluation/result_sensitivity.html",
        {
            "round": round_,
            "page": page,
            "rows": [_sensitivity_row(result, scenarios) for result in page.items],
            "scenarios": [_shift_label(source, points) for source, points in scenarios],
            "shift": config.sensitivity_shift,
            "classes": [UnitClass(unit_class).label for unit_class in classes],
            "weights": [
                (
                    _("The round's weights"),
                    [config.weights_for(unit_class) for unit_class in classes],
                ),
                *(
                    (
                        _shift_label(source, points),
                        [
                            config.weights_for(unit_class).shifted(source, points)
                            for unit_class in classes
                        ],
                    )
                    for source, points in scenarios
                ),
            ],
        },
    )


@require_POST
@staff_required
def result_compute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk)
    rows = services.results_compute(round_=round_, actor=actor)
    messages.success(request, _("Results computed for %(count)d units.") % {"count": len(rows)})
    return HttpResponseRedirect(reverse("result_list", args=[round_.pk]), status=303)


@require_POST
@staff_required
def result_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk)
    form = PublishForm(request.POST)
    form.is_valid()  # absent or not a number: not confirmed, and the service says so
    try:
        round_ = services.round_publish(
            round_=round_,
            actor=actor,
            unscored_confirmed=form.cleaned_data.get("unscored_confirmed") or 0,
        )
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("result_list", args=[round_.pk]), status=303)
    assert round_.appeal_deadline is not None
    messages.success(
        request,
        _("The results are published. Appeals close at %(deadline)s.")
        % {"deadline": timezone.localtime(round_.appeal_deadline).strftime("%Y-%m-%d %H:%M")},
    )
    return HttpResponseRedirect(reverse("result_list", args=[round_.pk]), status=303)


@require_GET
@staff_required
def result_export(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk)
    content = results_workbook(round_, selectors.round_results(actor, round_, sort="rank"))
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="results-{round_.pk}.xlsx"'
    return response


RADAR_MIN_DIMENSIONS = 3  # fewer make a line or a point: bars say the same plainly


def _report_context(actor: Actor, result: Result) -> dict[str, Any]:
    round_ = result.round_unit.round
    details = result.details or {}
    dimensions = details.get("dimensions", {})
    names: dict[str, str] = {}
    for indicator in snapshot_indicators(round_.snapshot, result.round_unit.unit_class):
        names.setdefault(indicator["dimension"], indicator["dimension"])
    scheme = round_.snapshot.get("schemes", {}).get(result.round_unit.unit_class) or {}
    for dimension in scheme.get("dimensions", []):
        names[dimension["code"]] = dimension["name"]
    codes = list(names)
    peers = selectors.peer_summary(result)
    trend = selectors.result_trend(actor, result)
    components = [
        ("self_score", _("Self-assessment")),
        ("residents_score", _("Residents")),
        ("superior_score", _("Superior")),
        ("composite", _("Composite")),
    ]

    def number(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    shown = [source for source in (Source.SELF, Source.SUPERIOR) if dimensions.get(source)]
    # ECharts draws a missing value of a radar at the centre, as if it were 0: the radar keeps
    # the dimensions every shown source scored; bars (which leave a gap) show them all.
    scored_by_all = [
        code for code in codes if all(dimensions[s].get(code) is not None for s in shown)
    ]
    as_radar = len(scored_by_all) >= RADAR_MIN_DIMENSIONS
    plotted = scored_by_all if as_radar else codes
    chart = {
        "noData": _("no data"),
        "radar": {
            "kind": "radar" if as_radar else "bar",
            "indicators": [{"name": names[code], "max": 100} for code in plotted],
            "series": [
                {
                    "name": str(SOURCE_LABELS[source]),
                    "data": [dimensions[source].get(code) for code in plotted],
                }
                for source in shown
            ],
        },
        "peers": {
            "categories": [str(label) for _key, label in components],
            "series": [
                {
                    "name": _("This unit"),
                    "data": [number(getattr(result, key)) for key, _label in components],
                },
                {
                    "name": _("Peer mean"),
                    "data": [number(peers.mean[key]) for key, _label in components],
                },
                {
                    "name": _("Peer best"),
                    "data": [number(peers.best[key]) for key, _label in components],
                },
            ],
        },
        "trend": {
            "categories": [row.round_unit.round.name for row in trend],
            "series": [{"name": _("Composite"), "data": [row.composite for row in trend]}],
        },
    }
    dimension_rows = [
        {
            "name": names[code],
            "self": dimensions.get("self", {}).get(code),
            "superior": dimensions.get("superior", {}).get(code),
        }
        for code in codes
    ]
    return {
        "result": result,
        "round": round_,
        "unit": result.round_unit.unit,
        "row": _row(result),
        "details": details,
        "peers": peers,
        "components": [
            {
                "label": label,
                "value": getattr(result, key),
                "mean": peers.mean[key],
                "best": peers.best[key],
            }
            for key, label in components
        ],
        "dimension_rows": dimension_rows,
        # Sources corrected on appeal, by their labels (the stored keys are "self", …).
        "corrections": [
            {"label": SOURCE_LABELS.get(source, source), "value": value}
            for source, value in (details.get("adjustments") or {}).items()
        ],
        "trend": trend,
        "chart": chart,
        "can_appeal": (
            round_.state == RoundState.PUBLISHED
            and round_.appeal_deadline is not None
            and clock.now() <= round_.appeal_deadline
            and actor.unit is not None
            and actor.unit.pk == result.round_unit.unit_id
            and can(actor, "file", Appeal)
        ),
    }


@require_GET
@staff_required
def report_unit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor, pk)
    return render(request, "evaluation/report_unit.html", _report_context(actor, result))


@require_GET
@staff_required
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor, pk)
    return render(request, "evaluation/report_print.html", _report_context(actor, result))


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=gettext_lazy("Grounds of the appeal"),
        max_length=services.GROUNDS_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


@require_http_methods(["GET", "POST"])
@staff_required
def appeal_file(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor, pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.appeal_file(
                round_unit=result.round_unit, actor=actor, grounds=form.cleaned_data["grounds"]
            )
        except DomainError as error:
            form.add_error("grounds" if error.field == "grounds" else None, str(error.message))
        else:
            messages.success(request, _("Your appeal has been filed."))
            return HttpResponseRedirect(reverse("appeal_detail", args=[appeal.pk]), status=303)
    return render(
        request,
        "evaluation/appeal_form.html",
        {"form": form, "result": result, "round": result.round_unit.round},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    queryset = selectors.appeals_visible(actor)
    status = request.GET.get("status", "")
    if status in AppealStatus.values:
        queryset = queryset.filter(status=status)
    page = paginate(request, queryset, page_size=PAGE_SIZE)
    return render(
        request,
        "evaluation/appeal_list.html",
        {"page": page, "status": status, "statuses": AppealStatus.choices},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision on the appeal"),
        choices=[
            (AppealStatus.UPHELD, gettext_lazy("Uphold")),
            (AppealStatus.DISMISSED, gettext_lazy("Dismiss")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=services.GROUNDS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Correct the score of"),
        choices=[("", gettext_lazy("No correction")), *SOURCE_LABELS.items()],
        required=False,
    )
    adjusted_score = forms.FloatField(
        label=gettext_lazy("Corrected score (0–100)"), min_value=0, max_value=100, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") and data.get("adjusted_score") is None:
            self.add_error("adjusted_score", _("Enter the corrected score."))
        if data.get("decision") == AppealStatus.DISMISSED and not data.get("reason", "").strip():
            self.add_error("reason", _("Please give the reason for dismissing the appeal."))
        return data


@require_http_methods(["GET", "POST"])
@staff_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    appeal = selectors.appeal_get(actor, pk)
    may_decide = appeal.status == AppealStatus.PENDING and can(actor, "decide", Appeal, appeal)
    form = DecisionForm(request.POST or None) if may_decide else None
    if request.method == "POST":
        if form is None:
            raise DomainError(_("This appeal cannot be decided by you now."), status=403)
        if form.is_valid():
            data = form.cleaned_data
            adjustments = (
                {data["source"]: data["adjusted_score"]}
                if data["decision"] == AppealStatus.UPHELD and data.get("source")
                else None
            )
            try:
                services.appeal_decide(
                    appeal=appeal,
                    actor=actor,
                    upheld=data["decision"] == AppealStatus.UPHELD,
                    reason=data["reason"],
                    adjustments=adjustments,
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The appeal has been decided."))
                return HttpResponseRedirect(reverse("appeal_detail", args=[appeal.pk]), status=303)
    result = visible(actor, Result).filter(round_unit=appeal.round_unit).first()
    return render(
        request,
        "evaluation/appeal_detail.html",
        {"appeal": appeal, "form": form, "result": result},
        status=400 if request.method == "POST" else 200,
    )
