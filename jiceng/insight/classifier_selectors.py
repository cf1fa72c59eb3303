"""Reads of case classification, scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from jiceng.cases.models import Case
from jiceng.core.actors import Actor
from jiceng.core.permissions import visible
from jiceng.insight.classifier_services import Suggestion, can_recategorise, suggestions_of
from jiceng.insight.models_classifier import CategoryCorrection, CategoryPrediction, ClassifierModel


def model_history(actor: Actor) -> QuerySet[ClassifierModel]:
    """Every trained version the actor may see, newest first."""
    return visible(actor, ClassifierModel).select_related("trained_by").order_by("-version")


def corrections_since(actor: Actor, model: ClassifierModel | None) -> int:
    """Staff corrections the actor may see made after `model` was trained (all if None)."""
    queryset = visible(actor, CategoryCorrection)
    if model is not None:
        queryset = queryset.filter(created_at__gt=model.trained_at)
    return queryset.count()


@dataclass(frozen=True)
class CaseClassification:
    """What the case page shows about a case's category: the prediction and who may correct."""

    prediction: CategoryPrediction | None
    suggestions: list[Suggestion]
    can_correct: bool
    corrected: bool


def case_classification(actor: Actor, case: Case) -> CaseClassification:
    prediction = (
        visible(actor, CategoryPrediction)
        .filter(case=case)
        .select_related("model", "category")
        .first()
    )
    suggestions = suggestions_of(prediction) if prediction is not None else []
    return CaseClassification(
        prediction=prediction,
        suggestions=suggestions,
        can_correct=can_recategorise(actor, case),
        corrected=CategoryCorrection.objects.filter(case=case).exists(),
    )
