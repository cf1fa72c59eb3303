"""Every write to rounds, the self-assessment (基层自评) and the superior's assessment (组织考评).

A round moves draft → self → residents → superior → review by `round_open` and `round_advance`
(by hand, or by the periodic job when a stage's deadline has passed); publishing is the results'
`round_publish`, archiving is `round_archive` here. Each move is one conditional UPDATE on the
state it was checked against, so the job and a person acting at once cannot both move a round.

Scores refer to indicators by code in the round's snapshot. What a score row holds depends on
the indicator's rule: checklist → `items_met` (indexes into the items), scale → `points` is the
value on 0–top, deduction → `points` is the number of points deducted. Metric indicators come
from case data and are never scored by people.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.permissions import require
from jiceng.core.uploads import EVIDENCE_TYPES, evidence_kind
from jiceng.evaluation.models import (
    UNIT_CLASS_OF_KIND,
    AssessmentStatus,
    Evidence,
    Rater,
    Round,
    RoundState,
    RoundUnit,
    Scheme,
    SchemeStatus,
    ScoringRule,
    SelfAssessment,
    SelfScore,
    SuperiorRating,
    SuperiorScore,
    Survey,
    UnitClass,
)
from jiceng.evaluation.round_config import scoring_config
from jiceng.evaluation.snapshot import scheme_snapshot, snapshot_indicators
from jiceng.evaluation.survey_services import survey_create_default
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Capability, role_has_capability

# The states `round_advance` moves between; review → published belongs to the results.
NEXT_STATE: dict[str, str] = {
    RoundState.SELF: RoundState.RESIDENTS,
    RoundState.RESIDENTS: RoundState.SUPERIOR,
    RoundState.SUPERIOR: RoundState.REVIEW,
}
STAGE_DAYS_FIELD: dict[str, str] = {
    RoundState.SELF: "self_days",
    RoundState.RESIDENTS: "residents_days",
    RoundState.SUPERIOR: "superior_days",
}
TIMED_STATES = tuple(STAGE_DAYS_FIELD)
# A returned self-assessment may be corrected until the results are out.
CORRECTABLE_STATES = (
    RoundState.SELF,
    RoundState.RESIDENTS,
    RoundState.SUPERIOR,
    RoundState.REVIEW,
)
MAX_STAGE_DAYS = 60
MAX_PERIOD_DAYS = 366
MAX_EXPLANATION = 2000
MAX_REASON = 2000
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_PER_INDICATOR = 10
ROUND_FIELDS = (
    "name",
    "period_start",
    "period_end",
    "self_days",
    "residents_days",
    "superior_days",
    "appeal_days",
)


# --- rounds ---------------------------------------------------------------------------------
def _require_organiser(actor: Actor, round_: Round) -> None:
    """Rounds are run by district administrators at or above the organising unit."""
    require(actor, "edit", Round, round_)
    if actor.system:
        return
    unit = actor.unit
    if unit is None or not round_.organiser.path.startswith(unit.path):
        raise Forbidden()


def _clean_round_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    name = str(fields.get("name") or "").strip()
    if not name:
        raise DomainError(_("Give the round a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("Use at most 100 characters for the name."), field="name")
    start, end = fields.get("period_start"), fields.get("period_end")
    if not isinstance(start, date) or not isinstance(end, date):
        raise DomainError(_("Give the first and last day of the period."), field="period_start")
    if end < start:
        raise DomainError(_("The period cannot end before it starts."), field="period_end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("A period may be at most one year long."), field="period_end")
    cleaned: dict[str, Any] = {"name": name, "period_start": start, "period_end": end}
    for name_ in ("self_days", "residents_days", "superior_days", "appeal_days"):
        value = fields.get(name_)
        if not isinstance(value, int) or not 1 <= value <= MAX_STAGE_DAYS:
            raise DomainError(
                _("Give between 1 and %(max)d working days.") % {"max": MAX_STAGE_DAYS},
                field=name_,
            )
        cleaned[name_] = value
    return cleaned


def _clean_schemes(schemes: Sequence[Scheme]) -> list[Scheme]:
    chosen = list(schemes)
    if not chosen:
        raise DomainError(_("Choose at least one published scheme."), field="schemes")
    classes = [scheme.unit_class for scheme in chosen]
    if len(set(classes)) != len(classes):
        raise DomainError(
            _("Choose one scheme per class of units, not two for the same class."),
            field="schemes",
        )
    if any(scheme.status != SchemeStatus.PUBLISHED for scheme in chosen):
        raise DomainError(_("Only published schemes can be used in a round."), field="schemes")
    return chosen


@transaction.atomic
def round_create(
    *,
    actor: Actor,
    name: str,
    period_start: date,
    period_end: date,
    schemes: Sequence[Scheme],
    self_days: int = 10,
    residents_days: int = 15,
    superior_days: int = 10,
    appeal_days: int = 5,
    organiser: OrgUnit | None = None,
) -> Round:
    """A draft round organised by the actor's unit (`organiser` only for system actors)."""
    require(actor, "create", Round)
    unit = actor.unit if not actor.system else (organiser or actor.unit)
    if unit is None:
        raise Forbidden()
    cleaned = _clean_round_fields(
        {
            "name": name,
            "period_start": period_start,
            "period_end": period_end,
            "self_days": self_days,
            "residents_days": residents_days,
            "superior_days": superior_days,
            "appeal_days": appeal_days,
        }
    )
    chosen = _clean_schemes(schemes)
    round_ = Round.objects.create(organiser=unit, state=RoundState.DRAFT, **cleaned)
    round_.schemes.set(chosen)
    audit_log(
        actor=actor,
        action="evaluation.round.created",
        target=round_,
        data={
            "organiser": unit.code,
            "period": [str(period_start), str(period_end)],
            "schemes": [scheme.pk for scheme in chosen],
        },
    )
    return round_


@transaction.atomic
def round_update(
    *, actor: Actor, round_: Round, schemes: Sequence[Scheme] | None = None, **fields: Any
) -> Round:
    """Change a draft round; once open its period, stages and schemes are fixed."""
    _require_organiser(actor, round_)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise TypeError(f"unknown round fields: {sorted(unknown)}")
    if round_.state != RoundState.DRAFT:
        raise Conflict(_("Only a draft round can be changed."))
    before = {name: getattr(round_, name) for name in ROUND_FIELDS}
    cleaned = _clean_round_fields({**before, **fields})
    chosen = _clean_schemes(schemes) if schemes is not None else None
    if not Round.objects.filter(pk=round_.pk, state=RoundState.DRAFT).update(**cleaned):
        raise Conflict(_("Someone else changed this round meanwhile. Reload and try again."))
    for name, value in cleaned.items():
        setattr(round_, name, value)
    if chosen is not None:
        round_.schemes.set(chosen)
    changes: dict[str, list[Any]] = {
        name: [str(before[name]), str(cleaned[name])]
        for name in ROUND_FIELDS
        if before[name] != cleaned[name]
    }
    if chosen is not None:
        changes["schemes"] = [scheme.pk for scheme in chosen]
    audit_log(
        actor=actor, action="evaluation.round.updated", target=round_, data={"changes": changes}
    )
    return round_


def stage_open(round_: Round, state: str) -> bool:
    """Whether `state`'s stage is open now: the job that closes stages may not have run yet."""
    return round_.state == state and (
        round_.stage_deadline is None or clock.now() <= round_.stage_deadline
    )


def _move(round_: Round, from_state: str, **changes: Any) -> None:
    if not Round.objects.filter(pk=round_.pk, state=from_state).update(
        updated_at=clock.now(), **changes
    ):
        raise Conflict(_("Someone else changed this round meanwhile. Reload and try again."))
    for name, value in changes.items():
        setattr(round_, name, value)


def stage_deadline_from(start: datetime, days: int) -> datetime:
    return get_calendar().add_working_days(start, days)


def units_in_scope(organiser: OrgUnit, unit_classes: Sequence[str]) -> list[OrgUnit]:
    """Active units below the organiser whose kind belongs to one of the classes."""
    kinds = [kind for kind, unit_class in UNIT_CLASS_OF_KIND.items() if unit_class in unit_classes]
    return list(
        OrgUnit.objects.filter(path__startswith=organiser.path, is_active=True, kind__in=kinds)
        .exclude(pk=organiser.pk)
        .order_by("path")
    )


@transaction.atomic
def round_open(*, actor: Actor, round_: Round, units: Sequence[OrgUnit] | None = None) -> Round:
    """draft → self: freeze the schemes, take in the units, start the self-assessment.

    The units are every active unit below the organiser of a class with a chosen scheme, or
    the given subset of them (a unit being merged or newly set up can be left out).
    """
    _require_organiser(actor, round_)
    if round_.state != RoundState.DRAFT:
        raise Conflict(_("This round is open already."))
    schemes = _clean_schemes(list(round_.schemes.all()))
    eligible = units_in_scope(round_.organiser, [scheme.unit_class for scheme in schemes])
    if units is not None:
        allowed = {unit.pk for unit in eligible}
        if any(unit.pk not in allowed for unit in units):
            raise DomainError(
                _(
                    "Only active units below the organiser with a scheme for their class can "
                    "be evaluated."
                ),
                field="units",
            )
        chosen_pks = {unit.pk for unit in units}
        eligible = [unit for unit in eligible if unit.pk in chosen_pks]
    units = eligible
    if not units:
        raise DomainError(_("No active unit below the organiser matches the chosen schemes."))
    # The draft's scoring settings as stored, locked: a concurrent change either lands first
    # and is kept, or waits and finds the round open.
    draft = Round.objects.select_for_update().only("snapshot").get(pk=round_.pk)
    now = clock.now()
    _move(
        round_,
        RoundState.DRAFT,
        state=RoundState.SELF,
        opened_at=now,
        stage_deadline=stage_deadline_from(now, round_.self_days),
        snapshot={
            "schemes": {scheme.unit_class: scheme_snapshot(scheme) for scheme in schemes},
            "config": draft.snapshot.get("config", {}),
        },
    )
    RoundUnit.objects.bulk_create(
        RoundUnit(
            round=round_,
            unit=unit,
            unit_class=UNIT_CLASS_OF_KIND[unit.kind],
            unit_path=unit.path,
        )
        for unit in units
    )
    SelfAssessment.objects.bulk_create(
        SelfAssessment(round_unit_id=pk)
        for pk in RoundUnit.objects.filter(round=round_).values_list("pk", flat=True)
    )
    audit_log(
        actor=actor,
        action="evaluation.round.opened",
        target=round_,
        data={
            "units": len(units),
            "schemes": {scheme.unit_class: [scheme.family, scheme.version] for scheme in schemes},
            "stage_deadline": round_.stage_deadline.isoformat() if round_.stage_deadline else None,
        },
    )
    return round_


@transaction.atomic
def round_advance(*, actor: Actor, round_: Round) -> Round:
    """Close the current stage and start the next (self → residents → superior → review)."""
    _require_organiser(actor, round_)
    target = NEXT_STATE.get(round_.state)
    if target is None:
        raise Conflict(
            _("A round that is %(state)s cannot be moved on here.")
            % {"state": round_.get_state_display()}
        )
    days_field = STAGE_DAYS_FIELD.get(target)
    deadline = stage_deadline_from(clock.now(), getattr(round_, days_field)) if days_field else None
    before = round_.state
    if target == RoundState.RESIDENTS and not Survey.objects.filter(round=round_).exists():
        # Residents are always asked something: the default questionnaire if none was written.
        survey_create_default(round_=round_, actor=actor)
    _move(round_, before, state=target, stage_deadline=deadline)
    audit_log(
        actor=actor,
        action="evaluation.round.advanced",
        target=round_,
        data={
            "from": before,
            "to": target,
            "stage_deadline": deadline.isoformat() if deadline else None,
        },
    )
    return round_


@transaction.atomic
def round_archive(*, actor: Actor, round_: Round) -> Round:
    _require_organiser(actor, round_)
    if round_.state != RoundState.PUBLISHED:
        raise Conflict(_("Only a published round can be archived."))
    _move(round_, RoundState.PUBLISHED, state=RoundState.ARCHIVED, stage_deadline=None)
    audit_log(actor=actor, action="evaluation.round.archived", target=round_, data={})
    return round_


def rounds_close_due(*, actor: Actor, now: datetime | None = None, limit: int = 100) -> int:
    """Move on every round whose stage deadline has passed; running it again changes nothing."""
    moment = now or clock.now()
    due = Round.objects.filter(state__in=TIMED_STATES, stage_deadline__lt=moment).select_related(
        "organiser"
    )[:limit]
    moved = 0
    for round_ in due:
        try:
            round_advance(actor=actor, round_=round_)
        except Conflict:
            continue  # moved by someone else in the meantime
        moved += 1
    return moved


# --- raters ---------------------------------------------------------------------------------
@transaction.atomic
def rater_appoint(*, actor: Actor, round_: Round, membership: Membership) -> Rater:
    """Appoint a member of the organising unit, or of a unit between it and the rated units."""
    _require_organiser(actor, round_)
    if round_.state not in (RoundState.DRAFT, *TIMED_STATES):
        raise Conflict(_("Raters can no longer be appointed in this round."))
    if not membership.is_active or not membership.user.is_active:
        raise DomainError(_("This membership has ended."), field="membership")
    if not role_has_capability(membership.role, Capability.EVAL_RATE):
        raise DomainError(_("This person's role does not allow rating units."), field="membership")
    path = membership.unit.path
    above_rated = round_.units.filter(unit_path__startswith=path).exclude(unit_path=path)
    if not path.startswith(round_.organiser.path) or (
        round_.state != RoundState.DRAFT and not above_rated.exists()
    ):
        raise DomainError(
            _("Raters come from the organising unit or a unit above the rated units."),
            field="membership",
        )
    if Rater.objects.filter(round=round_, membership=membership).exists():
        raise DomainError(_("This person is a rater in this round already."), field="membership")
    rater = Rater.objects.create(round=round_, membership=membership)
    audit_log(
        actor=actor,
        action="evaluation.round.rater_appointed",
        target=round_,
        data={"membership": membership.pk, "unit": membership.unit.code},
    )
    return rater


@transaction.atomic
def rater_remove(*, actor: Actor, rater: Rater) -> None:
    """Only a rater who has submitted nothing can be removed: submitted scores are history."""
    round_ = rater.round
    _require_organiser(actor, round_)
    if rater.ratings.filter(status=AssessmentStatus.SUBMITTED).exists():
        raise Conflict(_("This rater has submitted ratings and cannot be removed."))
    audit_log(
        actor=actor,
        action="evaluation.round.rater_removed",
        target=round_,
        data={"membership": rater.membership_id},
    )
    rater.delete()


# --- scores ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorAnswer:
    """What someone entered for one indicator (see the module for what `points` means)."""

    points: Decimal | None = None
    items_met: tuple[int, ...] = ()
    explanation: str = ""


def indicators_for(round_: Round, unit_class: str, stage: str) -> list[dict[str, Any]]:
    """The snapshot's indicators people score in `stage` ("self" or "superior")."""
    flag = "scored_by_self" if stage == "self" else "scored_by_superior"
    return [
        item
        for item in snapshot_indicators(round_.snapshot, unit_class)
        if item.get(flag) and item.get("rule") != ScoringRule.METRIC
    ]


def _check_answer(indicator: dict[str, Any], answer: IndicatorAnswer) -> None:
    code = indicator["code"]
    rule = indicator["rule"]
    if len(answer.explanation) > MAX_EXPLANATION:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": MAX_EXPLANATION, "count": len(answer.explanation)},
            field=f"explanation-{code}",
        )
    if rule == ScoringRule.CHECKLIST:
        count = len(indicator["rule_options"].get("items", []))
        items = answer.items_met
        if len(set(items)) != len(items) or any(
            not isinstance(i, int) or not 0 <= i < count for i in items
        ):
            raise DomainError(
                _("Tick only items of this checklist, each once."), field=f"items-{code}"
            )
        return
    if answer.points is None:
        return
    try:
        points = Decimal(answer.points)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter a number."), field=f"points-{code}") from None
    top = Decimal(
        str(indicator["rule_options"].get("top", 0))
        if rule == ScoringRule.SCALE
        else indicator["max_points"]
    )
    if not points.is_finite() or not Decimal(0) <= points <= top:
        raise DomainError(
            _("Enter a number from 0 to %(top)s.") % {"top": f"{top.normalize():f}"},
            field=f"points-{code}",
        )
    if points != points.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimal places."), field=f"points-{code}")


def is_answered(indicator: dict[str, Any], points: Decimal | None, has_row: bool) -> bool:
    if indicator["rule"] == ScoringRule.CHECKLIST:
        return has_row
    return points is not None


# --- self-assessment ------------------------------------------------------------------------
def _require_self_editable(actor: Actor, assessment: SelfAssessment) -> None:
    require(actor, "edit", SelfAssessment, assessment)
    state = assessment.round_unit.round.state
    if assessment.status == AssessmentStatus.SUBMITTED:
        raise Conflict(_("This self-assessment has been submitted and can no longer be changed."))
    if assessment.status == AssessmentStatus.RETURNED:
        if state not in CORRECTABLE_STATES:
            raise Conflict(_("The results of this round are out; it can no longer be changed."))
        return
    if not stage_open(assessment.round_unit.round, RoundState.SELF):
        raise Conflict(_("The self-assessment stage of this round is closed."))


def _answer_map(
    round_: Round, unit_class: str, stage: str, answers: Mapping[str, IndicatorAnswer]
) -> dict[str, dict[str, Any]]:
    known = {item["code"]: item for item in indicators_for(round_, unit_class, stage)}
    for code, answer in answers.items():
        if code not in known:
            raise DomainError(_("This indicator is not scored here: %(code)s.") % {"code": code})
        _check_answer(known[code], answer)
    return known


@transaction.atomic
def self_assessment_save(
    *, actor: Actor, assessment: SelfAssessment, answers: Mapping[str, IndicatorAnswer]
) -> SelfAssessment:
    """Save a draft (or a correction): any subset of the indicators, each checked by its rule."""
    _require_self_editable(actor, assessment)
    round_unit = assessment.round_unit
    _answer_map(round_unit.round, round_unit.unit_class, "self", answers)
    for code, answer in answers.items():
        SelfScore.objects.update_or_create(
            assessment=assessment,
            indicator_code=code,
            defaults={
                "points": answer.points,
                "items_met": sorted(answer.items_met),
                "explanation": answer.explanation.strip(),
            },
        )
    SelfAssessment.objects.filter(pk=assessment.pk).update(updated_at=clock.now())
    audit_log(
        actor=actor,
        action="evaluation.self_assessment.saved",
        target=assessment,
        data={"indicators": sorted(answers)},
    )
    return assessment


@transaction.atomic
def self_assessment_submit(*, actor: Actor, assessment: SelfAssessment) -> SelfAssessment:
    """Submit once: every indicator answered and explained, evidence where the scheme asks."""
    _require_self_editable(actor, assessment)
    round_unit = assessment.round_unit
    indicators = indicators_for(round_unit.round, round_unit.unit_class, "self")
    rows = {score.indicator_code: score for score in assessment.scores.all()}
    with_evidence = set(
        Evidence.objects.filter(score__assessment=assessment).values_list(
            "score__indicator_code", flat=True
        )
    )
    for indicator in indicators:
        code = indicator["code"]
        row = rows.get(code)
        if row is None or not is_answered(indicator, row.points, True):
            raise DomainError(
                _("Score every indicator before submitting: %(name)s is missing.")
                % {"name": indicator["name"]}
            )
        if not row.explanation.strip():
            raise DomainError(
                _("Explain every score before submitting: %(name)s has no explanation.")
                % {"name": indicator["name"]}
            )
        if indicator["evidence_required"] and code not in with_evidence:
            raise DomainError(
                _("%(name)s needs at least one evidence file.") % {"name": indicator["name"]}
            )
    before = assessment.status
    now = clock.now()
    if not SelfAssessment.objects.filter(pk=assessment.pk, status=before).update(
        status=AssessmentStatus.SUBMITTED,
        submitted_at=now,
        submitted_by=actor.user,
        updated_at=now,
    ):
        raise Conflict(_("Someone else changed this self-assessment meanwhile."))
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = now
    assessment.submitted_by = actor.user
    audit_log(
        actor=actor,
        action="evaluation.self_assessment.submitted",
        target=assessment,
        data={"resubmitted": before == AssessmentStatus.RETURNED},
    )
    return assessment


@transaction.atomic
def self_assessment_return(
    *, actor: Actor, assessment: SelfAssessment, reason: str
) -> SelfAssessment:
    """退回修改: someone above the unit sends a submitted self-assessment back, with a reason."""
    require(actor, "return", SelfAssessment, assessment)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": MAX_REASON, "count": len(reason)},
            field="reason",
        )
    if assessment.round_unit.round.state not in CORRECTABLE_STATES:
        raise Conflict(_("The results of this round are out; it can no longer be returned."))
    if not SelfAssessment.objects.filter(
        pk=assessment.pk, status=AssessmentStatus.SUBMITTED
    ).update(status=AssessmentStatus.RETURNED, return_reason=reason, updated_at=clock.now()):
        raise Conflict(_("Only a submitted self-assessment can be returned."))
    assessment.status = AssessmentStatus.RETURNED
    assessment.return_reason = reason
    audit_log(
        actor=actor,
        action="evaluation.self_assessment.returned",
        target=assessment,
        data={"unit": assessment.round_unit.unit_path},
        reason=reason[:500],
    )
    return assessment


# --- evidence -------------------------------------------------------------------------------
def _checked_evidence(upload: UploadedFile) -> tuple[bytes, str]:
    too_big = DomainError(
        _("Each evidence file may be at most %(mb)d MB.")
        % {"mb": MAX_EVIDENCE_BYTES // (1024 * 1024)},
        field="file",
    )
    if upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        raise too_big
    upload.seek(0)
    raw = upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(raw) > MAX_EVIDENCE_BYTES:
        raise too_big
    if not raw:
        raise DomainError(_("This file is empty."), field="file")
    kind = evidence_kind(raw)
    if kind is None:
        raise DomainError(
            _("Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX) files can be attached."),
            field="file",
        )
    return raw, kind


@transaction.atomic
def evidence_add(
    *, actor: Actor, assessment: SelfAssessment, indicator_code: str, upload: UploadedFile
) -> Evidence:
    _require_self_editable(actor, assessment)
    round_unit = assessment.round_unit
    known = {
        item["code"]: item
        for item in indicators_for(round_unit.round, round_unit.unit_class, "self")
    }
    if indicator_code not in known:
        raise DomainError(_("Choose an indicator of this self-assessment."), field="indicator")
    raw, kind = _checked_evidence(upload)
    score, _created = SelfScore.objects.get_or_create(
        assessment=assessment, indicator_code=indicator_code
    )
    if score.evidence.count() >= MAX_EVIDENCE_PER_INDICATOR:
        raise DomainError(
            _("At most %(count)d files per indicator.") % {"count": MAX_EVIDENCE_PER_INDICATOR},
            field="file",
        )
    original = (upload.name or kind).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    evidence = Evidence(
        score=score,
        original_name=original,
        content_type=EVIDENCE_TYPES[kind],
        size=len(raw),
        uploaded_by=actor.user,
    )
    # A random stored name: the original name is shown but never trusted as a path.
    evidence.file.save(f"{secrets.token_hex(16)}.{kind}", ContentFile(raw), save=False)
    evidence.save()
    audit_log(
        actor=actor,
        action="evaluation.evidence.added",
        target=assessment,
        data={"indicator": indicator_code, "name": original, "type": kind, "size": len(raw)},
    )
    return evidence


@transaction.atomic
def evidence_remove(*, actor: Actor, evidence: Evidence) -> None:
    assessment = evidence.score.assessment
    _require_self_editable(actor, assessment)
    audit_log(
        actor=actor,
        action="evaluation.evidence.removed",
        target=assessment,
        data={"indicator": evidence.score.indicator_code, "name": evidence.original_name},
    )
    stored = evidence.file.name or ""
    storage = evidence.file.storage
    evidence.delete()
    # The file goes only once the row is gone for good; a rollback keeps both.
    transaction.on_commit(lambda: storage.delete(stored))


# --- superior's assessment ------------------------------------------------------------------
def rater_of(actor: Actor, round_: Round) -> Rater | None:
    if actor.membership is None:
        return None
    return (
        Rater.objects.filter(round=round_, membership=actor.membership)
        .select_related("membership__unit", "membership__user")
        .first()
    )


def belongs_to(user_id: int, round_unit: RoundUnit) -> bool:
    """Whether the user is an active member of the unit or of a unit below it."""
    return (
        Membership.objects.active()
        .filter(user_id=user_id, unit__path__startswith=round_unit.unit_path)
        .exists()
    )


def _require_rater(actor: Actor, round_unit: RoundUnit) -> Rater:
    round_ = round_unit.round
    rater = rater_of(actor, round_)
    if rater is None:
        raise Forbidden(_("Only raters appointed for this round can rate its units."))
    rater_path = rater.membership.unit.path
    if not round_unit.unit_path.startswith(rater_path) or round_unit.unit_path == rater_path:
        raise Forbidden(_("You can rate only units below your own."))
    if belongs_to(rater.membership.user_id, round_unit):
        raise Forbidden(_("You cannot rate a unit you belong to."))
    if not stage_open(round_, RoundState.SUPERIOR):
        raise Conflict(_("The superior's assessment stage of this round is not open."))
    return rater


@transaction.atomic
def superior_rating_save(
    *,
    actor: Actor,
    round_unit: RoundUnit,
    answers: Mapping[str, IndicatorAnswer],
    comment: str = "",
) -> SuperiorRating:
    rater = _require_rater(actor, round_unit)
    comment = (comment or "").strip()
    if len(comment) > MAX_EXPLANATION:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": MAX_EXPLANATION, "count": len(comment)},
            field="comment",
        )
    _answer_map(round_unit.round, round_unit.unit_class, "superior", answers)
    rating, _created = SuperiorRating.objects.get_or_create(round_unit=round_unit, rater=rater)
    if rating.status == AssessmentStatus.SUBMITTED:
        raise Conflict(_("You have submitted this rating; it can no longer be changed."))
    for code, answer in answers.items():
        SuperiorScore.objects.update_or_create(
            rating=rating,
            indicator_code=code,
            defaults={
                "points": answer.points,
                "items_met": sorted(answer.items_met),
                "comment": answer.explanation.strip(),
            },
        )
    rating.comment = comment
    rating.save(update_fields=["comment", "updated_at"])
    audit_log(
        actor=actor,
        action="evaluation.superior_rating.saved",
        target=rating,
        data={"unit": round_unit.unit_path, "indicators": sorted(answers)},
    )
    return rating


@transaction.atomic
def superior_rating_submit(*, actor: Actor, rating: SuperiorRating) -> SuperiorRating:
    round_unit = rating.round_unit
    rater = _require_rater(actor, round_unit)
    if rating.rater_id != rater.pk:
        raise Forbidden()
    indicators = indicators_for(round_unit.round, round_unit.unit_class, "superior")
    rows = {score.indicator_code: score for score in rating.scores.all()}
    for indicator in indicators:
        row = rows.get(indicator["code"])
        if row is None or not is_answered(indicator, row.points, True):
            raise DomainError(
                _("Score every indicator before submitting: %(name)s is missing.")
                % {"name": indicator["name"]}
            )
    now = clock.now()
    if not SuperiorRating.objects.filter(pk=rating.pk, status=AssessmentStatus.DRAFT).update(
        status=AssessmentStatus.SUBMITTED, submitted_at=now, updated_at=now
    ):
        raise Conflict(_("You have submitted this rating already."))
    rating.status = AssessmentStatus.SUBMITTED
    rating.submitted_at = now
    audit_log(
        actor=actor,
        action="evaluation.superior_rating.submitted",
        target=rating,
        data={"unit": round_unit.unit_path},
    )
    return rating


# --- scoring settings -----------------------------------------------------------------------
# `Round.snapshot["config"]` in `round_config.scoring_config`'s shape. The settings people set
# on the page are checked here, each with its own message on its form field; anything else
# (wilson_z, case metric rules, …) is left to `scoring_config`, which refuses what makes no sense.
WEIGHT_SOURCES = ("self", "residents", "superior")
CUT_NAMES = ("good", "fairly_good", "average")


def _setting_number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise DomainError(_("Enter a number."), field=field)
    number = float(value)
    if not math.isfinite(number):
        raise DomainError(_("Enter a number."), field=field)
    return number


def _setting_mapping(value: Any, message: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DomainError(message)
    return value


def _clean_weights(raw: Any, unit_class: str | None) -> dict[str, float]:
    prefix = f"weight_{unit_class or 'default'}"
    weights = _setting_mapping(
        raw, _("Give the weights of the self-assessment, the residents and the superior.")
    )
    if set(weights) != set(WEIGHT_SOURCES):
        raise DomainError(
            _("Give the weights of the self-assessment, the residents and the superior.")
        )
    cleaned = {}
    for source in WEIGHT_SOURCES:
        number = _setting_number(weights[source], f"{prefix}_{source}")
        if number < 0:
            raise DomainError(_("A weight cannot be negative."), field=f"{prefix}_{source}")
        cleaned[source] = number
    total = sum(cleaned.values())
    if abs(total - 100) > 1e-6:
        label = UnitClass(unit_class).label if unit_class else _("other units")
        raise DomainError(
            _("The weights for %(class)s add up to %(total)s; they must add up to 100.")
            % {"class": label, "total": f"{total:g}"},
            field=f"{prefix}_superior",
        )
    return cleaned


def _clean_cuts(raw: Any) -> dict[str, float]:
    cuts = _setting_mapping(raw, _("Give the three cut points of the grades."))
    if set(cuts) != set(CUT_NAMES):
        raise DomainError(_("Give the three cut points of the grades."))
    cleaned = {}
    for name in CUT_NAMES:
        number = _setting_number(cuts[name], f"cut_{name}")
        if not 0 <= number <= 100:
            raise DomainError(_("A cut point must lie between 0 and 100."), field=f"cut_{name}")
        cleaned[name] = number
    for higher, lower in pairwise(CUT_NAMES):
        if cleaned[lower] >= cleaned[higher]:
            raise DomainError(
                _("Each cut point must be above the next: excellent above good, good above fair."),
                field=f"cut_{lower}",
            )
    return cleaned


def _clean_residents(raw: Any) -> dict[str, Any]:
    residents = dict(_setting_mapping(raw, _("The residents' settings are not in a valid form.")))
    if "min_responses" in residents:
        value = residents["min_responses"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
            raise DomainError(
                _("The minimum number of responses must be a whole number from 1 to %(max)s.")
                % {"max": "100000"},
                field="min_responses",
            )
    if "prior_mean" in residents:
        residents["prior_mean"] = _setting_number(residents["prior_mean"], "prior_mean")
        if not 1 <= residents["prior_mean"] <= 5:
            raise DomainError(
                _("The prior mean is a satisfaction level from 1 to 5."), field="prior_mean"
            )
    if "prior_weight" in residents:
        residents["prior_weight"] = _setting_number(residents["prior_weight"], "prior_weight")
        if residents["prior_weight"] < 0:
            raise DomainError(_("The prior weight cannot be negative."), field="prior_weight")
    return residents


def clean_scoring_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """`settings` checked and as they will be stored (plain JSON); DomainError if refused."""
    cleaned = dict(_setting_mapping(settings, _("The scoring settings are not in a valid form.")))
    if "weights" in cleaned:
        cleaned["weights"] = _clean_weights(cleaned["weights"], None)
    if "weights_by_class" in cleaned:
        by_class = _setting_mapping(
            cleaned["weights_by_class"], _("The scoring settings are not in a valid form.")
        )
        for unit_class in by_class:
            if unit_class not in UnitClass.values:
                raise DomainError(
                    _("Unknown class of units: %(name)s") % {"name": str(unit_class)[:50]}
                )
        cleaned["weights_by_class"] = {
            unit_class: _clean_weights(by_class[unit_class], unit_class)
            for unit_class in UnitClass.values
            if unit_class in by_class
        }
    if "cuts" in cleaned:
        cleaned["cuts"] = _clean_cuts(cleaned["cuts"])
    if "residents" in cleaned:
        cleaned["residents"] = _clean_residents(cleaned["residents"])
    if "satisfaction_gate" in cleaned:
        gate = _setting_number(cleaned["satisfaction_gate"], "satisfaction_gate")
        if not 0 <= gate <= 1:
            raise DomainError(
                _("The residents' satisfaction threshold must lie between 0 % and 100 %."),
                field="satisfaction_gate",
            )
        cleaned["satisfaction_gate"] = gate
    if "self_inflation_margin" in cleaned:
        margin = _setting_number(cleaned["self_inflation_margin"], "self_inflation_margin")
        if not 0 <= margin <= 100:
            raise DomainError(
                _("The self-inflation margin must lie between 0 and 100 points."),
                field="self_inflation_margin",
            )
        cleaned["self_inflation_margin"] = margin
    try:
        stored: dict[str, Any] = json.loads(json.dumps(cleaned, allow_nan=False, default=float))
    except (TypeError, ValueError):
        raise DomainError(_("The scoring settings are not in a valid form.")) from None
    scoring_config(stored)  # the remaining settings, and how they fit together
    return stored


@transaction.atomic
def round_configure_scoring(*, actor: Actor, round_: Round, settings: Mapping[str, Any]) -> Round:
    """Set a draft round's scoring settings (`round_config.scoring_config` keys), replacing any.

    Only before the round opens: changing weights or cut points once units have been assessed
    would let the organiser pick the outcome. Opening keeps them in the snapshot.
    """
    _require_organiser(actor, round_)
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if locked.state != RoundState.DRAFT:
        raise Conflict(_("The scoring settings are fixed once the round is open."))
    stored = clean_scoring_settings(settings)
    before = locked.snapshot.get("config", {})
    snapshot = {**locked.snapshot, "config": stored}
    Round.objects.filter(pk=round_.pk).update(snapshot=snapshot, updated_at=clock.now())
    round_.snapshot = snapshot
    audit_log(
        actor=actor,
        action="evaluation.round.scoring_configured",
        target=round_,
        data={"before": before, "after": stored},
    )
    return round_
