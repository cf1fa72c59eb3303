"""Pages for rounds (organiser), the self-assessment (the unit and those above it) and the
superior's assessment (appointed raters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.core.permissions import access_object, can
from jiceng.evaluation import round_selectors as selectors
from jiceng.evaluation import round_services as services
from jiceng.evaluation.forms_rounds import (
    EvidenceForm,
    RaterForm,
    ReturnForm,
    RoundForm,
    ScoringForm,
    parse_answers,
)
from jiceng.evaluation.guarantee_metrics import used_guarantee_metrics
from jiceng.evaluation.models import (
    AssessmentStatus,
    Rater,
    Round,
    RoundState,
    SelfAssessment,
    SuperiorRating,
)
from jiceng.evaluation.permissions import configures, takes_part
from jiceng.evaluation.round_config import scoring_config
from jiceng.orgs.roles import Capability
from jiceng.orgs.views import capability_required, staff_required

RATED_STATES = (
    RoundState.SUPERIOR,
    RoundState.REVIEW,
    RoundState.PUBLISHED,
    RoundState.ARCHIVED,
)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _act(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service for a button; a refused rule becomes an error message."""
    try:
        action()
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True


def _organiser_round(request: HttpRequest, pk: int) -> Round:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk=pk, action="edit")
    if not actor.system and (
        actor.unit is None or not round_.organiser.path.startswith(actor.unit.path)
    ):
        raise PermissionDenied
    return round_


# --- rounds ---------------------------------------------------------------------------------
@staff_required
def round_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not takes_part(actor):
        raise PermissionDenied
    page = paginate(request, selectors.rounds_visible(actor))
    return render(
        request,
        "evaluation/round_list.html",
        {"page": page, "can_create": can(actor, "create", Round)},
    )


@capability_required(Capability.EVAL_CONFIGURE)
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _actor(request)
    if not configures(actor):
        raise PermissionDenied
    round_ = _organiser_round(request, pk) if pk is not None else None
    if round_ is not None and round_.state != RoundState.DRAFT:
        messages.error(request, _("Only a draft round can be changed."))
        return redirect("round_detail", round_.pk)
    initial: dict[str, Any] = {
        "self_days": 10,
        "residents_days": 15,
        "superior_days": 10,
        "appeal_days": 5,
    }
    if round_ is not None:
        initial = {name: getattr(round_, name) for name in services.ROUND_FIELDS}
        initial["schemes"] = list(round_.schemes.all())
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        schemes = list(data.pop("schemes"))
        if round_ is None:
            saved = call_service(
                form, lambda: services.round_create(actor=actor, schemes=schemes, **data)
            )
        else:
            saved = call_service(
                form,
                lambda: services.round_update(actor=actor, round_=round_, schemes=schemes, **data),
            )
        if saved is not None:
            messages.success(request, _("The round is saved."))
            return redirect("round_detail", saved.pk)
    return render(request, "evaluation/round_form.html", {"form": form, "round": round_})


@staff_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_ = selectors.round_get(actor, pk=pk)
    manages = configures(actor) and (
        actor.system
        or (actor.unit is not None and round_.organiser.path.startswith(actor.unit.path))
    )
    units = paginate(request, selectors.round_units_progress(actor, round_), page_size=50)
    # What raters said about a unit is for those above it: here, the organiser.
    shows_ratings = manages and round_.state in RATED_STATES
    summaries = (
        selectors.rater_summaries(round_, [item.pk for item in units]) if shows_ratings else {}
    )
    raters = list(selectors.round_raters(round_)) if manages else []
    rater_form = (
        RaterForm(candidates=selectors.rater_candidates(round_))
        if manages and round_.state in (RoundState.DRAFT, *services.TIMED_STATES)
        else None
    )
    return render(
        request,
        "evaluation/round_detail.html",
        {
            "round": round_,
            "units": units,
            "rows": [(item, summaries.get(item.pk)) for item in units],
            "shows_ratings": shows_ratings,
            # The raters' scores above leave the guarantee metrics out (rater_summaries).
            "without_guarantees": shows_ratings and bool(used_guarantee_metrics(round_.snapshot)),
            "raters": raters,
            "rater_form": rater_form,
            "manages": manages,
            "can_open": manages and round_.state == RoundState.DRAFT,
            "can_advance": manages and round_.state in services.NEXT_STATE,
            "next_state": RoundState(services.NEXT_STATE[round_.state]).label
            if round_.state in services.NEXT_STATE
            else None,
            "can_archive": manages and round_.state == RoundState.PUBLISHED,
            "can_review": can(actor, "return", SelfAssessment),
            "scoring": selectors.scoring_settings(round_),
        },
    )


@capability_required(Capability.EVAL_CONFIGURE)
@require_http_methods(["GET", "POST"])
def round_scoring(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's scoring settings: a form while it is a draft, a summary afterwards."""
    actor = _actor(request)
    if not configures(actor):
        raise PermissionDenied
    round_ = _organiser_round(request, pk)
    editable = round_.state == RoundState.DRAFT
    if request.method == "POST" and not editable:
        messages.error(request, _("The scoring settings are fixed once the round is open."))
        return redirect("round_scoring", round_.pk)
    settings = selectors.scoring_settings(round_)
    form = None
    if editable:
        classes = settings.unit_classes
        config = settings.config or scoring_config({})
        form = ScoringForm(
            request.POST or None,
            unit_classes=classes,
            initial=ScoringForm.initial_from(config, classes),
        )
        if request.method == "POST" and form.is_valid():
            # Settings the page does not show are kept; invalid stored ones are replaced.
            current = (round_.snapshot.get("config") or {}) if settings.config else {}
            changed = form.settings(current)
            saved = call_service(
                form,
                lambda: services.round_configure_scoring(
                    actor=actor, round_=round_, settings=changed
                ),
            )
            if saved is not None:
                messages.success(request, _("The scoring settings are saved."))
                return redirect("round_detail", saved.pk)
    return render(
        request,
        "evaluation/round_scoring.html",
        {"round": round_, "form": form, "scoring": settings},
        status=400 if request.method == "POST" else 200,
    )


@capability_required(Capability.EVAL_CONFIGURE)
@require_POST
def round_open(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _organiser_round(request, pk)
    _act(
        request,
        lambda: services.round_open(actor=_actor(request), round_=round_),
        _("The round is open: units can now fill in their self-assessment."),
    )
    return redirect("round_detail", round_.pk)


@capability_required(Capability.EVAL_CONFIGURE)
@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _organiser_round(request, pk)
    _act(
        request,
        lambda: services.round_advance(actor=_actor(request), round_=round_),
        _("The round has moved on to the next stage."),
    )
    return redirect("round_detail", round_.pk)


@capability_required(Capability.EVAL_CONFIGURE)
@require_POST
def round_archive(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _organiser_round(request, pk)
    _act(
        request,
        lambda: services.round_archive(actor=_actor(request), round_=round_),
        _("The round is archived."),
    )
    return redirect("round_detail", round_.pk)


@capability_required(Capability.EVAL_CONFIGURE)
@require_POST
def round_rater_add(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _organiser_round(request, pk)
    form = RaterForm(request.POST, candidates=selectors.rater_candidates(round_))
    if not form.is_valid():
        messages.error(request, _("Choose a person from the list."))
        return redirect("round_detail", round_.pk)
    membership = form.cleaned_data["membership"]
    _act(
        request,
        lambda: services.rater_appoint(actor=_actor(request), round_=round_, membership=membership),
        _("%(name)s is appointed as a rater.") % {"name": membership.user},
    )
    return redirect("round_detail", round_.pk)


@capability_required(Capability.EVAL_CONFIGURE)
@require_POST
def round_rater_remove(request: HttpRequest, pk: int, rater_pk: int) -> HttpResponse:
    round_ = _organiser_round(request, pk)
    rater = access_object(
        _actor(request), Rater, queryset=Rater.objects.filter(round=round_), pk=rater_pk
    )
    _act(
        request,
        lambda: services.rater_remove(actor=_actor(request), rater=rater),
        _("The rater is removed."),
    )
    return redirect("round_detail", round_.pk)


# --- self-assessment ------------------------------------------------------------------------
@capability_required(Capability.EVAL_SELF_ASSESS)
def self_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.self_assessments_of_unit(_actor(request)))
    return render(request, "evaluation/self_list.html", {"page": page})


def _self_editable(actor: Actor, assessment: SelfAssessment) -> bool:
    try:
        services._require_self_editable(actor, assessment)
    except DomainError:
        return False
    return True


def _show_posted(
    groups: list[selectors.DimensionGroup], answers: dict[str, services.IndicatorAnswer]
) -> None:
    """Put what was posted back in the form, so a refused save loses nothing typed."""
    for group in groups:
        for row in group.rows:
            answer = answers.get(row.code)
            if answer is not None:
                row.points = answer.points
                row.items_met = answer.items_met
                row.explanation = answer.explanation


@staff_required
@require_http_methods(["GET", "POST"])
def self_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's own self-assessment: a form while it may change, read-only afterwards."""
    actor = _actor(request)
    assessment = selectors.self_assessment_get(actor, round_unit_pk=pk)
    if assessment.round_unit.unit_id != (actor.unit.pk if actor.unit else None):
        return redirect("self_review", pk)
    editable = _self_editable(actor, assessment)
    round_unit = assessment.round_unit
    indicators = services.indicators_for(round_unit.round, round_unit.unit_class, "self")
    groups = selectors.self_assessment_form_rows(assessment)
    error_field = None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        answers: dict[str, services.IndicatorAnswer] = {}
        try:
            answers = parse_answers(request.POST, indicators)
            services.self_assessment_save(actor=actor, assessment=assessment, answers=answers)
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            messages.error(request, str(error.message))
            error_field = error.field
            _show_posted(groups, answers)
        else:
            if request.POST.get("action") != "submit":
                messages.success(request, _("Your draft is saved."))
            else:
                _act(
                    request,
                    lambda: services.self_assessment_submit(actor=actor, assessment=assessment),
                    _("Your self-assessment is submitted."),
                )
            return redirect("self_assessment", pk)
    return render(
        request,
        "evaluation/self_form.html",
        {
            "assessment": assessment,
            "round": round_unit.round,
            "groups": groups,
            "editable": editable,
            "error_field": error_field,
            "evidence_form": EvidenceForm(),
            "returned": assessment.status == AssessmentStatus.RETURNED,
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
def self_submit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    assessment = selectors.self_assessment_get(actor, round_unit_pk=pk, action="submit")
    _act(
        request,
        lambda: services.self_assessment_submit(actor=actor, assessment=assessment),
        _("Your self-assessment is submitted."),
    )
    return redirect("self_assessment", pk)


@staff_required
@require_POST
def self_evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    assessment = selectors.self_assessment_get(actor, round_unit_pk=pk, action="edit")
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("self_assessment", pk)
    _act(
        request,
        lambda: services.evidence_add(
            actor=actor,
            assessment=assessment,
            indicator_code=form.cleaned_data["indicator"],
            upload=form.cleaned_data["file"],
        ),
        _("The file is attached."),
    )
    return redirect(f"{_self_url(pk)}#indicator-{form.cleaned_data['indicator']}")


def _self_url(pk: int) -> str:
    return reverse("self_assessment", args=[pk])


@staff_required
@require_POST
def self_evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    evidence = selectors.evidence_get(actor, pk=pk)
    round_unit_pk = evidence.score.assessment.round_unit_id
    _act(
        request,
        lambda: services.evidence_remove(actor=actor, evidence=evidence),
        _("The file is removed."),
    )
    return redirect("self_assessment", round_unit_pk)


@staff_required
def self_evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    evidence = selectors.evidence_get(_actor(request), pk=pk)
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=evidence.original_name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def self_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A self-assessment seen from above, with the form to return it for correction."""
    actor = _actor(request)
    assessment = selectors.self_assessment_get(actor, round_unit_pk=pk)
    can_return = (
        can(actor, "return", SelfAssessment, assessment)
        and assessment.status == AssessmentStatus.SUBMITTED
        and assessment.round_unit.round.state in services.CORRECTABLE_STATES
    )
    return render(
        request,
        "evaluation/self_review.html",
        {
            "assessment": assessment,
            "round": assessment.round_unit.round,
            "groups": selectors.self_assessment_form_rows(assessment),
            "return_form": ReturnForm() if can_return else None,
        },
    )


@staff_required
@require_POST
def self_return(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    assessment = selectors.self_assessment_get(actor, round_unit_pk=pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("self_review", pk)
    _act(
        request,
        lambda: services.self_assessment_return(
            actor=actor, assessment=assessment, reason=form.cleaned_data["reason"]
        ),
        _("The self-assessment is returned to the unit for correction."),
    )
    return redirect("self_review", pk)


# --- superior's assessment ------------------------------------------------------------------
@capability_required(Capability.EVAL_RATE)
def rating_worklist(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    page = paginate(request, selectors.rounds_to_rate(actor), page_size=5)
    sections = [(round_, selectors.rating_worklist(actor, round_)) for round_ in page]
    return render(request, "evaluation/rating_worklist.html", {"page": page, "sections": sections})


@capability_required(Capability.EVAL_RATE)
@require_http_methods(["GET", "POST"])
def rating_form(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    round_unit, rater = selectors.rating_target(actor, round_unit_pk=pk)
    rating = (
        SuperiorRating.objects.filter(round_unit=round_unit, rater=rater)
        .prefetch_related("scores")
        .first()
    )
    open_stage = services.stage_open(round_unit.round, RoundState.SUPERIOR)
    editable = open_stage and (rating is None or rating.status == AssessmentStatus.DRAFT)
    indicators = services.indicators_for(round_unit.round, round_unit.unit_class, "superior")
    status = 200
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This rating can no longer be changed."))
            return redirect("rating_form", pk)
        try:
            answers = parse_answers(request.POST, indicators)
            saved = services.superior_rating_save(
                actor=actor,
                round_unit=round_unit,
                answers=answers,
                comment=request.POST.get("comment", ""),
            )
            if request.POST.get("action") == "submit":
                services.superior_rating_submit(actor=actor, rating=saved)
                messages.success(request, _("Your rating is submitted."))
                return redirect("rating_worklist")
        except DomainError as error:
            if error.status not in (400, 409):
                raise
            messages.error(request, str(error.message))
            status = 400
            rating = SuperiorRating.objects.filter(round_unit=round_unit, rater=rater).first()
        else:
            messages.success(request, _("Your draft is saved."))
            return redirect("rating_form", pk)
    return render(
        request,
        "evaluation/rating_form.html",
        {
            "round_unit": round_unit,
            "round": round_unit.round,
            "rating": rating,
            "groups": selectors.rating_form_rows(round_unit, rating),
            "editable": editable,
        },
        status=status,
    )
