"""Pages of case classification: the category panel's correction and the model history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.cases import selectors as case_selectors
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, can
from jiceng.insight import classifier_selectors as selectors
from jiceng.insight import classifier_services as services
from jiceng.insight.forms_classifier import RecategoriseForm
from jiceng.insight.models_classifier import ClassifierModel
from jiceng.orgs.views import staff_required


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@staff_required
@require_POST
def case_category(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a case's category (a suggestion's button or the list of all categories)."""
    actor = _actor(request)
    case = case_selectors.case_get(actor, pk=pk)
    form = RecategoriseForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("category", []):
            messages.error(request, str(error))
        return redirect("case_detail", pk=case.pk)
    services.case_recategorise(actor=actor, case=case, category=form.cleaned_data["category"])
    messages.success(
        request,
        _("The category is now %(category)s. Thank you: the next model learns from it.")
        % {"category": case.category.display_name},
    )
    return redirect("case_detail", pk=case.pk)


def _require_configure(actor: Actor) -> None:
    if not can(actor, "view", ClassifierModel):
        raise PermissionDenied


@staff_required
def model_list(request: HttpRequest) -> HttpResponse:
    """The classifier's versions with their metrics; retrain and switch versions."""
    actor = _actor(request)
    _require_configure(actor)
    models = list(selectors.model_history(actor))
    active = next((model for model in models if model.active), None)
    context = {
        "models": models,
        "active": active,
        "corrections": selectors.corrections_since(actor, active),
    }
    return render(request, "insight/classifier_models.html", context)


@staff_required
@require_POST
def model_train(request: HttpRequest) -> HttpResponse:
    """Queue a training run; the job trains, stores and activates the new version."""
    actor = _actor(request)
    _require_configure(actor)
    services.classifier_train_check(actor=actor)
    from jiceng.insight.tasks_classifier import train_classifier

    unit = actor.unit
    train_classifier(actor.user.pk if actor.user else None, unit.pk if unit else None)
    messages.success(
        request,
        _("Training has started. The new version appears here when it is ready (about a minute)."),
    )
    return redirect("classifier_models")


@staff_required
@require_POST
def model_activate(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    _require_configure(actor)
    model = access_object(actor, ClassifierModel, action="activate", pk=pk)
    services.classifier_activate(actor=actor, model=model)
    messages.success(request, _("Version %(version)d is now in use.") % {"version": model.version})
    return redirect("classifier_models")
