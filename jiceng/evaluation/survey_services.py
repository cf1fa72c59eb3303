"""Every write of the residents' assessment (群众测评): questionnaire, tokens, open links, answers.

Tokens are handed out from above the unit (the unit could otherwise answer for its residents):
a batch's raw tokens are returned once, to be printed, and only their SHA-256 digests are kept.
Answers come from residents without an account, through a one-use token or an open link with
per-device and per-address limits; the server checks every answer against its question, so the
page's script only hides and shows questions.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import clock, privacy
from jiceng.core.actors import RESIDENT, SYSTEM, Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden, NotFound
from jiceng.evaluation.default_survey import DEFAULT_INTRO, DEFAULT_QUESTIONS, DEFAULT_TITLE
from jiceng.evaluation.models import (
    Answer,
    Channel,
    OpenLink,
    Question,
    QuestionKind,
    Round,
    RoundState,
    RoundUnit,
    StaffDevice,
    Survey,
    SurveyResponse,
    SurveyToken,
    TokenBatch,
)
from jiceng.evaluation.permissions import configures, oversees
from jiceng.evaluation.survey_selectors import token_digest, token_lookup
from jiceng.orgs.models import Membership, User

TOKEN_BYTES = 16  # secrets.token_urlsafe(16): 128 random bits in 22 URL-safe characters
MAX_BATCH = 2000
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 100
MAX_TEXT_ANSWER = 1000
LEVELS = (1, 2, 3, 4, 5)  # satisfaction: 1 very dissatisfied … 5 very satisfied
CONDITION_KINDS = (QuestionKind.SINGLE, QuestionKind.SATISFACTION, QuestionKind.MULTIPLE)
# The residents' stage has not begun: the questionnaire may still change.
EDITABLE_STATES = (RoundState.DRAFT, RoundState.SELF)
# Tokens and open links may be prepared before the stage and handed out while it runs.
DISTRIBUTION_STATES = (RoundState.DRAFT, RoundState.SELF, RoundState.RESIDENTS)


class AnswersInvalid(DomainError):
    """Some answers do not fit their questions; `errors` maps question ids to messages."""

    def __init__(self, errors: Mapping[int, str]) -> None:
        super().__init__(_("Some answers need your attention."))
        self.errors = dict(errors)


class SurveyClosed(DomainError):
    status = 410
    code = "closed"

    def __init__(self) -> None:
        super().__init__(_("This survey is closed. Thank you for your interest."))


class AnswerRefused(Conflict):
    """An open link turned an answer away; the link counts it (`OpenLink.refused`)."""


class StaffDeviceRefused(AnswerRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This device is used by staff of the unit being assessed, so it cannot answer "
                "this unit's residents' survey."
            )
        )


def token_not_found() -> NotFound:
    # One message for unknown, used and voided tokens: the page must not tell which exist.
    return NotFound(_("This survey link is not valid. It may have been used already."))


# --- helpers --------------------------------------------------------------------------------
def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def keyed_hash(purpose: str, value: str) -> str:
    return privacy.keyed_hash("jiceng.evaluation.survey", purpose, value)


def stage_open(round_: Round, now: datetime | None = None) -> bool:
    moment = now or clock.now()
    return round_.state == RoundState.RESIDENTS and (
        round_.stage_deadline is None or moment < round_.stage_deadline
    )


def _require_editable(survey: Survey) -> None:
    if survey.round.state not in EDITABLE_STATES:
        raise Conflict(
            _("The residents' assessment has begun: the questionnaire can no longer change.")
        )


def _require_configures(actor: Actor) -> None:
    if not configures(actor):
        raise Forbidden()


def _require_above(actor: Actor, round_unit: RoundUnit) -> None:
    """Distribution is done from above the unit, never by the unit itself."""
    if actor.system:
        return
    unit = actor.unit
    if (
        not oversees(actor)
        or unit is None
        or not round_unit.unit_path.startswith(unit.path)
        or round_unit.unit_path == unit.path
    ):
        raise Forbidden()


def _require_distributable(round_: Round) -> None:
    closed = round_.state not in DISTRIBUTION_STATES or (
        round_.state == RoundState.RESIDENTS
        and round_.stage_deadline is not None
        and clock.now() >= round_.stage_deadline
    )
    if closed:
        raise Conflict(_("The residents' assessment of this round is closed."))


# --- the questionnaire ----------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    required: bool = True
    options: Sequence[str] = ()
    yes_option: int | None = None
    show_if: Question | None = None
    show_if_options: Sequence[int] = ()


def condition_values(question: Question) -> list[int]:
    """The answers a question can be a condition on: option indexes, or levels 1–5."""
    if question.kind == QuestionKind.SATISFACTION:
        return list(LEVELS)
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return list(range(len(question.options)))
    return []


def _clean_spec(spec: QuestionSpec, *, survey: Survey, position: int) -> QuestionSpec:
    """The spec with tidy options, or a DomainError on the field at fault."""
    if spec.kind not in QuestionKind.values:
        raise DomainError(_("Choose a valid kind of question."), field="kind")
    text = spec.text.strip()
    if not text:
        raise DomainError(_("Write the question."), field="text")
    if len(text) > 300:
        raise DomainError(_("Keep the question under 300 characters."), field="text")
    options = [option.strip() for option in spec.options if option.strip()]
    if spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.MATRIX):
        least = 1 if spec.kind == QuestionKind.MATRIX else 2
        if not least <= len(options) <= MAX_OPTIONS:
            raise DomainError(
                _("Give between %(least)d and %(most)d options, one per line.")
                % {"least": least, "most": MAX_OPTIONS},
                field="options",
            )
        if any(len(option) > MAX_OPTION_LENGTH for option in options):
            raise DomainError(
                _("Keep each option under %(most)d characters.") % {"most": MAX_OPTION_LENGTH},
                field="options",
            )
        if len(set(options)) != len(options):
            raise DomainError(_("Each option must be different."), field="options")
    else:
        options = []
    yes_option = spec.yes_option
    if yes_option is not None and (
        spec.kind != QuestionKind.SINGLE or not 0 <= yes_option < len(options)
    ):
        raise DomainError(
            _("Only a single-choice question has an option counting as yes, and it must exist."),
            field="yes_option",
        )
    show_if = spec.show_if
    show_if_options = sorted(set(spec.show_if_options))
    if show_if is None:
        if show_if_options:
            raise DomainError(_("Choose the question these answers belong to."), field="show_if")
    else:
        if show_if.survey_id != survey.pk or show_if.kind not in CONDITION_KINDS:
            raise DomainError(
                _("A question can depend only on a choice or satisfaction question."),
                field="show_if",
            )
        if show_if.position >= position:
            raise DomainError(
                _("A question can depend only on a question before it."), field="show_if"
            )
        allowed = condition_values(show_if)
        if not show_if_options or any(value not in allowed for value in show_if_options):
            raise DomainError(
                _("Choose the answers of that question that show this one."),
                field="show_if_options",
            )
    return QuestionSpec(
        kind=spec.kind,
        text=text,
        required=spec.required,
        options=options,
        yes_option=yes_option,
        show_if=show_if,
        show_if_options=show_if_options,
    )


def _check_dependants(question: Question) -> None:
    """Questions shown depending on this one must still find their answers in it."""
    allowed = condition_values(question) if question.kind in CONDITION_KINDS else []
    for dependant in question.dependants.all():
        if any(value not in allowed for value in dependant.show_if_options):
            raise DomainError(
                _("Question “%(text)s” is shown for answers this change removes; change it first.")
                % {"text": dependant.text},
                field="options",
            )


@transaction.atomic
def survey_create_default(*, round_: Round, actor: Actor) -> Survey:
    """The round's questionnaire, filled with the default questions."""
    _require_configures(actor)
    if round_.state not in EDITABLE_STATES:
        raise Conflict(
            _("The residents' assessment has begun: the questionnaire can no longer change.")
        )
    if Survey.objects.filter(round=round_).exists():
        raise Conflict(_("This round has a questionnaire already."))
    survey = Survey.objects.create(round=round_, title=DEFAULT_TITLE, introduction=DEFAULT_INTRO)
    made: dict[str, Question] = {}
    for position, item in enumerate(DEFAULT_QUESTIONS, start=1):
        condition = item.get("show_if")
        made[item["key"]] = Question.objects.create(
            survey=survey,
            position=position,
            kind=item["kind"],
            text=item["text"],
            required=item.get("required", True),
            options=list(item.get("options", [])),
            yes_option=item.get("yes_option"),
            show_if=made[condition[0]] if condition else None,
            show_if_options=list(condition[1]) if condition else [],
        )
    audit_log(
        actor=actor,
        action="evaluation.survey.created",
        target=survey,
        data={"round": round_.pk, "questions": len(made)},
    )
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, actor: Actor, title: str, introduction: str) -> Survey:
    _require_configures(actor)
    _require_editable(survey)
    title = title.strip()
    if not title or len(title) > 200:
        raise DomainError(_("Give the survey a title of up to 200 characters."), field="title")
    if len(introduction) > 2000:
        raise DomainError(_("Keep the introduction under 2000 characters."), field="introduction")
    survey.title, survey.introduction = title, introduction.strip()
    survey.save(update_fields=["title", "introduction", "updated_at"])
    audit_log(actor=actor, action="evaluation.survey.updated", target=survey, data={})
    return survey


@transaction.atomic
def question_add(*, survey: Survey, actor: Actor, spec: QuestionSpec) -> Question:
    _require_configures(actor)
    _require_editable(survey)
    last = survey.questions.aggregate(last=Max("position"))["last"] or 0
    clean = _clean_spec(spec, survey=survey, position=last + 1)
    question = Question.objects.create(
        survey=survey,
        position=last + 1,
        kind=clean.kind,
        text=clean.text,
        required=clean.required,
        options=list(clean.options),
        yes_option=clean.yes_option,
        show_if=clean.show_if,
        show_if_options=list(clean.show_if_options),
    )
    audit_log(
        actor=actor,
        action="evaluation.survey.question_added",
        target=question,
        data={"kind": question.kind},
    )
    return question


@transaction.atomic
def question_update(*, question: Question, actor: Actor, spec: QuestionSpec) -> Question:
    _require_configures(actor)
    _require_editable(question.survey)
    clean = _clean_spec(spec, survey=question.survey, position=question.position)
    question.kind = clean.kind
    question.text = clean.text
    question.required = clean.required
    question.options = list(clean.options)
    question.yes_option = clean.yes_option
    question.show_if = clean.show_if
    question.show_if_options = list(clean.show_if_options)
    _check_dependants(question)
    question.save()
    audit_log(
        actor=actor,
        action="evaluation.survey.question_updated",
        target=question,
        data={"kind": question.kind},
    )
    return question


@transaction.atomic
def question_delete(*, question: Question, actor: Actor) -> None:
    _require_configures(actor)
    _require_editable(question.survey)
    if question.dependants.exists():
        raise Conflict(
            _("Other questions are shown depending on this one; change or delete them first.")
        )
    audit_log(
        actor=actor,
        action="evaluation.survey.question_deleted",
        target=question.survey,
        data={"question": question.pk, "text": question.text},
    )
    question.delete()


@transaction.atomic
def question_move(*, question: Question, actor: Actor, up: bool) -> Question:
    """Swap with the neighbour above or below, keeping conditions after their questions."""
    _require_configures(actor)
    _require_editable(question.survey)
    siblings = list(question.survey.questions.order_by("position", "pk"))
    index = next(i for i, item in enumerate(siblings) if item.pk == question.pk)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(siblings):
        return question
    other = siblings[other_index]
    first, second = (other, question) if up else (question, other)
    # `first` moves below `second`: not allowed when `second` depends on `first`.
    if second.show_if_id == first.pk:
        raise Conflict(_("A question must stay after the question it depends on."))
    siblings[index], siblings[other_index] = siblings[other_index], siblings[index]
    for position, item in enumerate(siblings, start=1):
        item.position = position
    Question.objects.bulk_update(siblings, ["position"])
    audit_log(
        actor=actor,
        action="evaluation.survey.question_moved",
        target=question,
        data={"up": up},
    )
    return question


# --- distribution ---------------------------------------------------------------------------
@transaction.atomic
def token_batch_create(
    *, round_unit: RoundUnit, actor: Actor, count: int, label: str = ""
) -> tuple[TokenBatch, list[str]]:
    """A batch of one-use tokens; the raw tokens are returned here and never again."""
    _require_above(actor, round_unit)
    _require_distributable(round_unit.round)
    if not 1 <= count <= MAX_BATCH:
        raise DomainError(
            _("A batch holds between 1 and %(most)d tokens.") % {"most": MAX_BATCH},
            field="count",
        )
    label = label.strip()
    if len(label) > 100:
        raise DomainError(_("Keep the label under 100 characters."), field="label")
    if actor.user is None:
        raise Forbidden()
    batch = TokenBatch.objects.create(
        round_unit=round_unit, count=count, label=label, created_by=actor.user
    )
    raw = [new_token() for _ in range(count)]
    SurveyToken.objects.bulk_create(
        [SurveyToken(batch=batch, digest=token_digest(token)) for token in raw],
        batch_size=500,
    )
    audit_log(
        actor=actor,
        action="evaluation.survey.tokens_created",
        target=batch,
        data={"round_unit": round_unit.pk, "count": count, "label": label},
    )
    return batch, raw


@transaction.atomic
def token_batch_void(*, batch: TokenBatch, actor: Actor, reason: str = "") -> TokenBatch:
    """Unused tokens of the batch stop working; answers already given stay."""
    _require_above(actor, batch.round_unit)
    if batch.voided_at is not None:
        raise Conflict(_("This batch is void already."))
    batch.voided_at = timezone.now()
    batch.save(update_fields=["voided_at"])
    audit_log(
        actor=actor,
        action="evaluation.survey.tokens_voided",
        target=batch,
        data={"round_unit": batch.round_unit_id},
        reason=reason.strip()[:500],
    )
    return batch


@transaction.atomic
def open_link_create(
    *,
    round_unit: RoundUnit,
    actor: Actor,
    place: str,
    per_device: int = 1,
    per_address_per_day: int = 20,
) -> OpenLink:
    _require_above(actor, round_unit)
    _require_distributable(round_unit.round)
    place = place.strip()
    if not place or len(place) > 100:
        raise DomainError(_("Name the place, in up to 100 characters."), field="place")
    if not 1 <= per_device <= 10:
        raise DomainError(_("Allow between 1 and 10 answers per device."), field="per_device")
    if not 1 <= per_address_per_day <= 1000:
        raise DomainError(
            _("Allow between 1 and 1000 answers per network address a day."),
            field="per_address_per_day",
        )
    # Posted in public, so not a secret; long enough that links are not found by counting.
    link = OpenLink.objects.create(
        round_unit=round_unit,
        slug=secrets.token_urlsafe(9),
        place=place,
        per_device=per_device,
        per_address_per_day=per_address_per_day,
    )
    audit_log(
        actor=actor,
        action="evaluation.survey.open_link_created",
        target=link,
        data={"round_unit": round_unit.pk, "place": place},
    )
    return link


@transaction.atomic
def open_link_deactivate(*, link: OpenLink, actor: Actor) -> OpenLink:
    _require_above(actor, link.round_unit)
    if not link.is_active:
        raise Conflict(_("This link is switched off already."))
    link.is_active = False
    link.save(update_fields=["is_active"])
    audit_log(
        actor=actor,
        action="evaluation.survey.open_link_deactivated",
        target=link,
        data={"round_unit": link.round_unit_id},
    )
    return link


# --- answering ------------------------------------------------------------------------------
def visible_questions(questions: Sequence[Question], values: Mapping[int, Any]) -> set[int]:
    """Ids of the questions shown, given the (checked) answers to earlier ones."""
    shown: set[int] = set()
    for question in questions:
        if question.show_if_id is None:
            shown.add(question.pk)
            continue
        if question.show_if_id not in shown:
            continue
        answer = values.get(question.show_if_id)
        chosen = answer if isinstance(answer, list) else [answer]
        if any(value in question.show_if_options for value in chosen if value is not None):
            shown.add(question.pk)
    return shown


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(question: Question, raw: Any) -> tuple[Any, str | None]:
    """The stored form of one answer, or an error message. `raw` is never empty here."""
    kind = question.kind
    if kind == QuestionKind.SINGLE:
        if _is_int(raw) and 0 <= raw < len(question.options):
            return raw, None
        return None, _("Choose one of the options.")
    if kind == QuestionKind.SATISFACTION:
        if _is_int(raw) and raw in LEVELS:
            return raw, None
        return None, _("Choose a level from 1 to 5.")
    if kind == QuestionKind.MULTIPLE:
        if (
            isinstance(raw, list)
            and all(_is_int(item) and 0 <= item < len(question.options) for item in raw)
            and len(set(raw)) == len(raw)
        ):
            return sorted(raw), None
        return None, _("Choose among the options given.")
    if kind == QuestionKind.MATRIX:
        if (
            isinstance(raw, list)
            and len(raw) == len(question.options)
            and all(_is_int(item) and item in LEVELS for item in raw)
        ):
            return raw, None
        return None, _("Choose a level from 1 to 5 in every row.")
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_TEXT_ANSWER:
            return None, _("Keep your answer under %(most)d characters.") % {
                "most": MAX_TEXT_ANSWER
            }
        return text, None
    return None, _("Write your answer as text.")


def _is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list):
        return not raw or all(item is None for item in raw)
    return False


def check_answers(questions: Sequence[Question], raw: Mapping[int, Any]) -> dict[int, Any]:
    """The answers to store by question id; AnswersInvalid lists every problem at once.

    Questions hidden by their condition must not be answered; shown, required ones must be.
    """
    known = {question.pk for question in questions}
    errors: dict[int, str] = {}
    values: dict[int, Any] = {}
    for question in questions:
        value = raw.get(question.pk)
        if _is_empty(value):
            continue
        clean, error = _check_value(question, value)
        if error is not None:
            errors[question.pk] = error
        else:
            values[question.pk] = clean
    shown = visible_questions(questions, values)
    # Whether a question applies is unknown while the answer it depends on is wrong.
    unsure = set(errors)
    for question in questions:
        if question.show_if_id in unsure:
            unsure.add(question.pk)
        if question.pk in unsure:
            continue
        if question.pk not in shown:
            if question.pk in values:
                errors[question.pk] = _("This question does not apply to your answers above.")
        elif question.required and question.pk not in values:
            errors[question.pk] = _("Please answer this question.")
    if any(key not in known for key in raw):
        raise DomainError(_("The survey has changed. Reload the page and try again."))
    if errors:
        raise AnswersInvalid(errors)
    if not values:
        raise DomainError(_("Answer at least one question."))
    return values


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "pk"))


def _survey_of(round_: Round) -> Survey:
    try:
        return Survey.objects.get(round=round_)
    except Survey.DoesNotExist:
        raise SurveyClosed() from None


def _start_of_day(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _store(
    *,
    round_unit: RoundUnit,
    channel: str,
    values: Mapping[int, Any],
    token: SurveyToken | None = None,
    open_link: OpenLink | None = None,
    device_hash: str = "",
    address_hash: str = "",
) -> SurveyResponse:
    response = SurveyResponse.objects.create(
        round_unit=round_unit,
        channel=channel,
        token=token,
        open_link=open_link,
        device_hash=device_hash,
        address_hash=address_hash,
    )
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=question_id, value=value)
            for question_id, value in values.items()
        ]
    )
    audit_log(
        actor=RESIDENT,
        action="evaluation.survey.answered",
        target=response,
        data={"round_unit": round_unit.pk, "channel": channel, "answers": len(values)},
    )
    return response


def survey_answer(
    *,
    answers: Mapping[int, Any],
    token: str | None = None,
    open_link: OpenLink | None = None,
    device_id: str = "",
    client_ip: str = "",
) -> SurveyResponse:
    """Record a resident's answers through a one-use token or an open link.

    Exactly one of `token` (the raw secret) and `open_link` is given. `device_id` (a cookie)
    and `client_ip` count answers against an open link's limits; only keyed hashes are kept.
    """
    if (token is None) == (open_link is None):
        raise ValueError("give a token or an open link")
    if token is not None:
        return _answer_by_token(raw=token, answers=answers)
    assert open_link is not None
    try:
        return _answer_by_link(
            link=open_link, answers=answers, device_id=device_id, client_ip=client_ip
        )
    except AnswerRefused:
        # Counted after the answer's transaction rolled back; nothing else is kept.
        OpenLink.objects.filter(pk=open_link.pk).update(refused=F("refused") + 1)
        raise


@transaction.atomic
def _answer_by_token(*, raw: str, answers: Mapping[int, Any]) -> SurveyResponse:
    found = token_lookup(raw)
    if found is None:
        raise token_not_found()
    round_unit = found.batch.round_unit
    if not stage_open(round_unit.round):
        raise SurveyClosed()
    values = check_answers(survey_questions(_survey_of(round_unit.round)), answers)
    now = clock.now()
    # The conditional UPDATE is the lock: of two concurrent uses only one changes the row.
    claimed = SurveyToken.objects.filter(
        pk=found.pk, used_at__isnull=True, batch__voided_at__isnull=True
    ).update(used_at=now)
    if claimed != 1:
        raise token_not_found()
    found.used_at = now
    try:
        with transaction.atomic():
            return _store(round_unit=round_unit, channel=Channel.TOKEN, values=values, token=found)
    except IntegrityError:  # the one-to-one on the token: a second answer lost the race
        raise token_not_found() from None


@transaction.atomic
def _answer_by_link(
    *, link: OpenLink, answers: Mapping[int, Any], device_id: str, client_ip: str
) -> SurveyResponse:
    # Locking the link makes concurrent answers through it count one after another.
    locked = (
        OpenLink.objects.select_for_update()
        .select_related("round_unit__round")
        .filter(pk=link.pk, is_active=True)
        .first()
    )
    if locked is None:
        raise NotFound(_("This survey link is not valid."))
    round_unit = locked.round_unit
    if not stage_open(round_unit.round):
        raise SurveyClosed()
    values = check_answers(survey_questions(_survey_of(round_unit.round)), answers)
    device_hash = keyed_hash("device", device_id) if device_id else ""
    address_hash = keyed_hash("address", client_ip) if client_ip else ""
    if device_hash and is_staff_device(round_unit.unit_path, device_hash):
        raise StaffDeviceRefused()
    if device_hash and (
        SurveyResponse.objects.filter(open_link=locked, device_hash=device_hash).count()
        >= locked.per_device
    ):
        raise AnswerRefused(_("This device has already answered through this link. Thank you."))
    now = clock.now()
    if address_hash and (
        SurveyResponse.objects.filter(
            open_link=locked,
            address_hash=address_hash,
            submitted_at__gte=_start_of_day(now),
            submitted_at__lt=_start_of_day(now) + timedelta(days=1),
        ).count()
        >= locked.per_address_per_day
    ):
        raise AnswerRefused(
            _("Too many answers came from your network today. Please try again tomorrow.")
        )
    return _store(
        round_unit=round_unit,
        channel=Channel.OPEN_LINK,
        values=values,
        open_link=locked,
        device_hash=device_hash,
        address_hash=address_hash,
    )


def is_staff_device(unit_path: str, device_hash: str) -> bool:
    """Whether an active member of the unit at `unit_path`, or of a unit below it, signed in on
    the device (by the keyed hash of its id)."""
    return (
        Membership.objects.active()
        .filter(unit__path__startswith=unit_path, user__survey_devices__device_hash=device_hash)
        .exists()
    )


def device_of_staff(*, unit_path: str, device_id: str) -> bool:
    """`is_staff_device` from the device's id, for other features that count residents by
    device (venue check-ins): staff of the unit cannot pass for its residents there either."""
    return bool(device_id) and is_staff_device(unit_path, keyed_hash("device", device_id))


@transaction.atomic
def staff_device_record(*, user: User, device_id: str) -> StaffDevice:
    """Remember that `user` signed in on the device whose cookie holds `device_id`.

    Only the keyed hash is kept, the same one open links count answers with.
    """
    device, created = StaffDevice.objects.update_or_create(
        user=user,
        device_hash=keyed_hash("device", device_id),
        defaults={"last_seen": clock.now()},
    )
    if created:
        audit_log(
            actor=SYSTEM,
            action="evaluation.survey.staff_device_recorded",
            target=device,
            data={"user": user.pk},
        )
    return device


@transaction.atomic
def response_exclude(*, response: SurveyResponse, actor: Actor, reason: str) -> SurveyResponse:
    """Leave a response out of scoring (e.g. stuffing found afterwards), with a reason."""
    _require_above(actor, response.round_unit)
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise DomainError(_("Give a reason of up to 200 characters."), field="reason")
    updated = SurveyResponse.objects.filter(pk=response.pk, excluded_reason="").update(
        excluded_reason=reason
    )
    if not updated:
        raise Conflict(_("This response is excluded already."))
    response.excluded_reason = reason
    audit_log(
        actor=actor,
        action="evaluation.survey.response_excluded",
        target=response,
        data={"round_unit": response.round_unit_id},
        reason=reason,
    )
    return response


@transaction.atomic
def round_unit_households_set(*, round_unit: RoundUnit, actor: Actor, households: int) -> RoundUnit:
    """The households a unit's survey aims at: the denominator of its response rate."""
    _require_above(actor, round_unit)
    if not 0 <= households <= 1_000_000:
        raise DomainError(
            _("Give a number of households between 0 and 1,000,000."), field="households"
        )
    before = round_unit.households
    round_unit.households = households
    round_unit.save(update_fields=["households"])
    audit_log(
        actor=actor,
        action="evaluation.survey.households_set",
        target=round_unit,
        data={"from": before, "to": households},
    )
    return round_unit
