"""Who sees and changes the classifier's models, predictions and corrections."""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.cases.models import Case
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register, visible
from jiceng.insight.models_classifier import CategoryCorrection, CategoryPrediction, ClassifierModel
from jiceng.orgs.roles import Capability


def configures_categories(actor: Actor) -> bool:
    """District administrators (they own the categories) and the system."""
    return actor.system or (
        actor.has_capability(Capability.CASE_CONFIGURE)
        and actor.unit is not None
        and actor.unit.depth == 1
    )


@register(ClassifierModel)
class ClassifierModelPolicy(ModelPolicy[ClassifierModel]):
    """District administrators see the model history, train and switch versions."""

    def scope(self, actor: Actor, queryset: QuerySet[ClassifierModel]) -> QuerySet[ClassifierModel]:
        return queryset if configures_categories(actor) else queryset.none()

    def can(self, actor: Actor, action: str, obj: ClassifierModel | None = None) -> bool:
        return configures_categories(actor)


@register(CategoryPrediction)
class CategoryPredictionPolicy(ModelPolicy[CategoryPrediction]):
    """Whoever sees the case sees its predicted categories; only the system writes them."""

    def scope(
        self, actor: Actor, queryset: QuerySet[CategoryPrediction]
    ) -> QuerySet[CategoryPrediction]:
        if actor.system:
            return queryset
        return queryset.filter(case__in=visible(actor, Case).values("pk"))

    def can(self, actor: Actor, action: str, obj: CategoryPrediction | None = None) -> bool:
        return actor.system


@register(CategoryCorrection)
class CategoryCorrectionPolicy(ModelPolicy[CategoryCorrection]):
    """Corrections are written by `case_recategorise` (its own check); read with the case."""

    def scope(
        self, actor: Actor, queryset: QuerySet[CategoryCorrection]
    ) -> QuerySet[CategoryCorrection]:
        if actor.system:
            return queryset
        return queryset.filter(case__in=visible(actor, Case).values("pk"))

    def can(self, actor: Actor, action: str, obj: CategoryCorrection | None = None) -> bool:
        return actor.system
