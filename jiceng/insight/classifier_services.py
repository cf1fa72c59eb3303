"""Writes and process-wide state of case classification (docs/INSIGHT.md, "Classification").

- `classifier_train` trains on the deployment's own categorised requests and staff corrections,
  stores a versioned model file with its metrics and makes it the one in use;
- `classifier_activate` switches to another stored version;
- `active_classifier` is the model in use, loaded once per process and reloaded when another
  version becomes active (core.process_cache);
- `category_for_intake` chooses the category of a request that came in without one;
- `predictions_record` stores the three best categories of new requests;
- `case_recategorise` is the staff's correction, kept as training data.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from jiceng.cases.lookups import leaf_category_by_code
from jiceng.cases.models import Case, CaseEvent, Category, EventKind
from jiceng.cases.services import Who, roles_of
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.permissions import require
from jiceng.core.process_cache import ProcessCache
from jiceng.insight.classifier import Config, Text, TextClassifier, scores
from jiceng.insight.models_classifier import (
    CategoryCorrection,
    CategoryPrediction,
    ClassifierModel,
    PredictionSource,
)
from jiceng.orgs.roles import Capability

logger = logging.getLogger(__name__)

# A category needs this many requests to be learnt; fewer are left out of the model (and named
# in its metrics) until staff have categorised more of them.
MIN_PER_CATEGORY = 5
SUGGESTIONS = 3
# Training reads at most this many requests, the newest: enough to learn any category a
# district uses, and training stays within minutes and memory stays bounded as cases pile up.
MAX_TRAINING_ROWS = 50_000


# --- the model in use, once per process -----------------------------------------------------
@dataclass(frozen=True)
class Loaded:
    """The active model of this process, or nothing when no model is active or it is unusable."""

    model_id: int | None = None
    version: int | None = None
    classifier: TextClassifier | None = None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model_path(row: ClassifierModel) -> Path:
    return Path(settings.CLASSIFIER_DIR) / row.path


def _load_active() -> Loaded:
    row = ClassifierModel.objects.filter(active=True).first()
    if row is None:
        return Loaded()
    path = _model_path(row)
    try:
        # The file is only unpickled when it is byte for byte the one this deployment wrote.
        if _file_sha256(path) != row.sha256:
            logger.error("Classifier file %s does not match its recorded SHA-256", path)
            return Loaded(row.pk, row.version)
        classifier = joblib.load(path)
    except OSError:
        logger.exception("Classifier file %s cannot be read", path)
        return Loaded(row.pk, row.version)
    if not isinstance(classifier, TextClassifier):
        return Loaded(row.pk, row.version)
    return Loaded(row.pk, row.version, classifier)


active_model = ProcessCache("insight.classifier", _load_active)


def active_classifier() -> Loaded:
    return active_model.get()


# --- prediction -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    category: Category
    confidence: float


@dataclass(frozen=True)
class Prediction:
    model_id: int
    version: int
    suggestions: list[Suggestion]

    @property
    def best(self) -> Suggestion:
        return self.suggestions[0]


def predict(*, title: str, description: str) -> Prediction | None:
    """The active model's best categories for a text (active leaf categories only), or None."""
    loaded = active_classifier()
    if loaded.classifier is None or loaded.model_id is None or loaded.version is None:
        return None
    ranked = loaded.classifier.top(Text(title, description), k=SUGGESTIONS + 2)
    suggestions = []
    for code, confidence in ranked:
        category = leaf_category_by_code(code)
        if category is not None:
            suggestions.append(Suggestion(category, round(confidence, 4)))
    if not suggestions:
        return None
    return Prediction(loaded.model_id, loaded.version, suggestions[:SUGGESTIONS])


def fallback_category() -> Category | None:
    return leaf_category_by_code(settings.CLASSIFIER_FALLBACK_CATEGORY)


@dataclass(frozen=True)
class IntakeCategory:
    category: Category
    source: str  # PredictionSource: who chose the category
    prediction: Prediction | None  # kept for the job that records it (no second prediction)


def category_for_intake(*, title: str, description: str) -> IntakeCategory:
    """The category of a request that came in without one, and who chose it.

    Above the confidence threshold the prediction is taken; below it the request gets the
    fallback category and staff see the suggestions on the case page.
    """
    prediction = predict(title=title, description=description)
    if prediction is not None and prediction.best.confidence >= settings.CLASSIFIER_THRESHOLD:
        return IntakeCategory(prediction.best.category, PredictionSource.AUTO, prediction)
    fallback = fallback_category()
    if fallback is None:
        raise DomainError(_("Choose what the request is about."), field="category")
    return IntakeCategory(fallback, PredictionSource.FALLBACK, prediction)


# A prediction as the job's JSON arguments carry it: model id and [category id, confidence]s.
KnownPrediction = dict[str, Any]


def _as_known(prediction: Prediction) -> KnownPrediction:
    return {
        "model": prediction.model_id,
        "suggestions": [[s.category.pk, s.confidence] for s in prediction.suggestions],
    }


def classify_after_commit(cases: Sequence[Case]) -> None:
    """Called by intake inside its transaction: once the cases are stored, a job records their
    predictions. Only a callback is registered here (intake holds the write lock); whether a
    model is active is asked after the commit, and nothing is queued when none is. Predictions
    made at intake (the resident left the category open) travel with the job.
    """
    sources: dict[int, str] = {}
    known: dict[int, KnownPrediction] = {}
    for case in cases:
        if case.pk is None:
            continue
        sources[case.pk] = getattr(case, "category_source", PredictionSource.PERSON)
        prediction = getattr(case, "intake_prediction", None)
        if prediction is not None:
            known[case.pk] = _as_known(prediction)
    if sources:
        transaction.on_commit(lambda: _queue_predictions(sources, known))


def _queue_predictions(sources: dict[int, str], known: dict[int, KnownPrediction]) -> None:
    if active_classifier().classifier is None and not known:
        return
    from jiceng.insight.tasks_classifier import record_predictions

    record_predictions(sources, known)


def predictions_record(
    sources: dict[int, str], known: dict[int, KnownPrediction] | None = None
) -> int:
    """Store the best categories of these cases (case id → who chose its category); returns
    how many were stored. `known` holds predictions made at intake, stored as they are; the
    other cases are predicted now. Cases that have a prediction already keep it."""
    plain = dict(known or {})
    done = set(
        CategoryPrediction.objects.filter(case_id__in=sources).values_list("case_id", flat=True)
    )
    to_predict = set(sources) - done - set(plain)
    for case in Case.objects.filter(pk__in=to_predict).only("pk", "title", "description"):
        prediction = predict(title=case.title, description=case.description)
        if prediction is not None:
            plain[case.pk] = _as_known(prediction)
    now = clock.now()
    rows = [
        CategoryPrediction(
            case_id=case_id,
            model_id=made["model"],
            suggestions=[
                {"category": category, "confidence": confidence}
                for category, confidence in made["suggestions"]
            ],
            category_id=made["suggestions"][0][0],
            confidence=made["suggestions"][0][1],
            source=sources[case_id],
            created_at=now,
        )
        for case_id, made in plain.items()
        if case_id in sources and case_id not in done
    ]
    CategoryPrediction.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- training -------------------------------------------------------------------------------
def _labelled_cases() -> QuerySet[Case]:
    machine_chosen = CategoryPrediction.objects.filter(
        case=OuterRef("pk"), source__in=[PredictionSource.AUTO, PredictionSource.FALLBACK]
    )
    corrected = CategoryCorrection.objects.filter(case=OuterRef("pk"))
    return Case.objects.filter(Q(~Exists(machine_chosen)) | Q(Exists(corrected)))


def _too_few() -> DomainError:
    return DomainError(
        _(
            "Too few categorised requests to train: at least two categories need "
            "%(count)d requests each."
        )
        % {"count": MIN_PER_CATEGORY}
    )


def classifier_train_check(*, actor: Actor) -> None:
    """Refuse at once (before a job is queued) what `classifier_train` would refuse."""
    _check_train(actor)
    learnable = (
        _labelled_cases()
        .values("category")
        .annotate(n=Count("pk"))
        .filter(n__gte=MIN_PER_CATEGORY)
        .count()
    )
    if learnable < 2:
        raise _too_few()


def training_rows() -> list[tuple[Text, str]]:
    """Every request whose category a person chose or confirmed by correcting it.

    Categories the classifier set (or the fallback it left) teach nothing unless staff corrected
    them; a correction changes the case's category, so the case's category is the label.
    """
    rows = (
        _labelled_cases()
        .order_by("-pk")
        .values_list("title", "description", "category__code")[:MAX_TRAINING_ROWS]
    )
    return [(Text(title, description), code) for title, description, code in list(rows)[::-1]]


def _check_train(actor: Actor) -> None:
    require(actor, "train", ClassifierModel)


def _holdout_metrics(rows: list[tuple[Text, str]], config: Config) -> dict[str, Any]:
    """Scores on a stratified fifth of the rows held out from a model trained on the rest."""
    from sklearn.model_selection import train_test_split

    labels = [label for _, label in rows]
    train, test = train_test_split(rows, test_size=0.2, stratify=labels, random_state=config.seed)
    classifier = TextClassifier(config).fit([t for t, _ in train], [label for _, label in train])
    predicted = classifier.predict([t for t, _ in test])
    result = scores([label for _, label in test], predicted)
    result.update(method="holdout-20%", train=len(train), test=len(test))
    return result


def classifier_train(
    *, actor: Actor, activate: bool = True, config: Config | None = None
) -> ClassifierModel:
    """Train a new version on the deployment's categorised requests; store file and metrics.

    The training itself runs outside any transaction (it takes seconds); only the row is written
    in one.
    """
    _check_train(actor)
    config = config or Config()
    rows = training_rows()
    counts = Counter(label for _, label in rows)
    learnt = {code for code, count in counts.items() if count >= MIN_PER_CATEGORY}
    if len(learnt) < 2:
        raise _too_few()
    rows = [row for row in rows if row[1] in learnt]
    metrics = _holdout_metrics(rows, config)
    metrics["skipped_categories"] = sorted(set(counts) - learnt)
    classifier = TextClassifier(config).fit([t for t, _ in rows], [label for _, label in rows])
    folder = Path(settings.CLASSIFIER_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".classifier-", suffix=".joblib", dir=folder)
    os.close(handle)
    joblib.dump(classifier, temporary, compress=3)
    digest = _file_sha256(Path(temporary))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                version = (ClassifierModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                name = f"classifier-{version:04d}.joblib"
                row = ClassifierModel.objects.create(
                    version=version,
                    path=name,
                    sha256=digest,
                    metrics=metrics,
                    sample_count=len(rows),
                    trained_at=clock.now(),
                    trained_by=actor.user,
                )
                os.replace(temporary, folder / name)
                audit_log(
                    actor=actor,
                    action="insight.classifier.trained",
                    target=row,
                    data={
                        "version": version,
                        "samples": len(rows),
                        "macro_f1": metrics["macro_f1"],
                    },
                )
                if activate:
                    _activate(actor, row)
            return row
        except IntegrityError:  # another training took the same version number
            continue
    raise Conflict()


def _activate(actor: Actor, row: ClassifierModel) -> None:
    ClassifierModel.objects.filter(active=True).exclude(pk=row.pk).update(active=False)
    ClassifierModel.objects.filter(pk=row.pk).update(active=True)
    row.active = True
    audit_log(
        actor=actor,
        action="insight.classifier.activated",
        target=row,
        data={"version": row.version},
    )
    active_model.invalidate()


@transaction.atomic
def classifier_activate(*, actor: Actor, model: ClassifierModel) -> ClassifierModel:
    """Use this stored version from now on (every process switches within seconds)."""
    require(actor, "activate", ClassifierModel, model)
    if not _model_path(model).is_file():
        raise DomainError(_("The file of this model version is missing."))
    if model.active:
        return model
    _activate(actor, model)
    return model


# --- corrections -------------------------------------------------------------------------------
def can_recategorise(actor: Actor, case: Case) -> bool:
    """Staff who handle requests and hold the case, or are above its holder."""
    if actor.system:
        return True
    return bool(roles_of(actor, case) & {Who.HOLDER, Who.SUPERIOR}) and actor.has_capability(
        Capability.CASE_HANDLE
    )


@transaction.atomic
def case_recategorise(*, actor: Actor, case: Case, category: Category) -> Case:
    """Correct a case's category; the correction is training data for the next model.

    Routing and deadlines stay as they are: the holder transfers the case if it now belongs
    elsewhere.
    """
    if not can_recategorise(actor, case):
        raise Forbidden(_("You cannot change the category of this request."))
    if category.is_group or not category.is_active:
        raise DomainError(_("Choose a specific, active category."), field="category")
    if category.pk == case.category_id:
        raise DomainError(_("The request already has this category."), field="category")
    before = case.category
    moved = Case.objects.filter(pk=case.pk, category_id=before.pk).update(
        category=category, updated_at=clock.now()
    )
    if not moved:
        raise Conflict(_("Someone else changed this request meanwhile. Reload and try again."))
    case.category = category
    prediction = CategoryPrediction.objects.filter(case=case).only("category_id").first()
    CategoryCorrection.objects.create(
        case=case,
        from_category=before,
        to_category=category,
        predicted_id=prediction.category_id if prediction else None,
        actor=actor.user,
        actor_unit=actor.unit,
        created_at=clock.now(),
    )
    CaseEvent.objects.create(
        case=case,
        created_at=clock.now(),
        kind=EventKind.NOTE,
        status_after=case.status,
        actor=actor.user,
        actor_unit=actor.unit,
        note=_("Category changed from %(old)s to %(new)s.")
        % {"old": before.display_name, "new": category.display_name},
        public=False,
    )
    audit_log(
        actor=actor,
        action="cases.case.recategorised",
        target=case,
        data={"from": before.code, "to": category.code},
    )
    return case


def suggestions_of(prediction: CategoryPrediction) -> list[Suggestion]:
    """The stored suggestions as categories (ones since removed or closed are left out)."""
    ids = [int(item["category"]) for item in prediction.suggestions]
    by_id = Category.objects.select_related("parent").in_bulk(ids)
    found: Iterable[dict[str, Any]] = prediction.suggestions
    return [
        Suggestion(by_id[int(item["category"])], float(item["confidence"]))
        for item in found
        if int(item["category"]) in by_id and by_id[int(item["category"])].is_active
    ]
