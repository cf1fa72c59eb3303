"""Helpers of the classifier tests: the corpus stored as requests, a trained model."""

from __future__ import annotations

from jiceng.cases.models import Case, Category, Channel
from jiceng.cases.services import case_submit
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.insight.classifier import Config
from jiceng.insight.classifier_services import classifier_train
from jiceng.insight.models_classifier import ClassifierModel
from tests.insight.classifier_corpus import rows

# Small and quick: the tests check behaviour, not accuracy.
FAST = Config(calibration_folds=2)


def store_corpus(area) -> list[Case]:
    """Every corpus text as a request in `area`, with its category chosen by the resident."""
    categories = {category.code: category for category in Category.objects.all()}
    return [
        case_submit(
            actor=ANONYMOUS,
            category=categories[code],
            area=area,
            title=title,
            description=body,
            channel=Channel.WEB,
        )
        for title, body, code in rows()
    ]


def trained(area) -> ClassifierModel:
    store_corpus(area)
    return classifier_train(actor=SYSTEM, config=FAST)
