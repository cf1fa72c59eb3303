"""Background jobs of case classification (huey)."""

from __future__ import annotations

import logging
from typing import Any

from huey.contrib.djhuey import db_task

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError

logger = logging.getLogger(__name__)


@db_task()
def record_predictions(
    sources: dict[int, str], known: dict[int, dict[str, Any]] | None = None
) -> int:
    """Store the best categories of newly stored requests, with the predictions made at intake
    (`known`); keys arrive as strings from JSON."""
    from jiceng.insight.classifier_services import predictions_record

    return predictions_record(
        {int(pk): source for pk, source in sources.items()},
        {int(pk): plain for pk, plain in (known or {}).items()},
    )


@db_task()
def train_classifier(user_id: int | None = None, unit_id: int | None = None) -> int | None:
    """Train and activate a new model version; the version number, or None when refused."""
    from jiceng.insight.classifier_services import classifier_train

    actor = SYSTEM
    if user_id is not None:
        from jiceng.core.actors import Actor
        from jiceng.orgs.models import Membership

        membership = (
            Membership.objects.active()
            .filter(user_id=user_id, unit_id=unit_id)
            .select_related("user", "unit")
            .first()
        )
        if membership is None:
            logger.warning("Classifier training asked by a user who no longer holds the role")
            return None
        actor = Actor(user=membership.user, membership=membership)
    try:
        return classifier_train(actor=actor).version
    except DomainError as error:
        logger.warning("Classifier training refused: %s", error.message)
        return None
