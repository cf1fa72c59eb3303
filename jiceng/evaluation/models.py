"""Three-step evaluation (基层自评、群众测评、组织考评): schemes, rounds, stages, results, appeals.

A scheme is an indicator tree edited by district administrators and frozen when published; a
round snapshots the published schemes it uses, so later edits never change a running round.
Scores given in the stages refer to indicators by their code in that snapshot.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel
from jiceng.orgs.roles import UnitKind


class UnitClass(models.TextChoices):
    """The classes of units a scheme is written for; peers are ranked within a class."""

    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    STREET = "street", _("Street or township")


UNIT_CLASS_OF_KIND: dict[str, str] = {
    UnitKind.COMMUNITY: UnitClass.COMMUNITY,
    UnitKind.VILLAGE: UnitClass.VILLAGE,
    UnitKind.STREET: UnitClass.STREET,
    UnitKind.TOWNSHIP: UnitClass.STREET,
}


class ScoringRule(models.TextChoices):
    CHECKLIST = "checklist", _("Checklist (share of items met)")
    SCALE = "scale", _("Scale from 0 to N")
    DEDUCTION = "deduction", _("Deduction from the maximum")
    METRIC = "metric", _("Objective metric from case data")


class Stage(models.TextChoices):
    SELF = "self", _("Self-assessment")
    RESIDENTS = "residents", _("Residents' assessment")
    SUPERIOR = "superior", _("Superior's assessment")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Scheme(TimeStampedModel):
    """One version of an indicator scheme for one class of units.

    Versions of the same scheme share `family`. A draft is edited in place; publishing freezes
    it, and editing a published scheme starts the next version as a draft.
    """

    family = models.SlugField(_("scheme code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    unit_class = models.CharField(_("unit class"), max_length=16, choices=UnitClass.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived",
    )
    owner = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator scheme")
        verbose_name_plural = _("indicator schemes")
        ordering = ["family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="scheme_family_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Indicator(models.Model):
    """A dimension (no parent) or an indicator under a dimension.

    Dimensions carry a weight only; indicators carry the rule. Weights are relative within
    their siblings (normalised when scoring).
    """

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="indicators"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("dimension"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True)
    position = models.PositiveIntegerField(_("display order"), default=0)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_points = models.DecimalField(
        _("maximum points"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    rule = models.CharField(
        _("scoring rule"), max_length=16, choices=ScoringRule.choices, blank=True
    )
    # Checklist: {"items": ["…", …]}; scale: {"top": N}; metric: {"metric": key, "target": t,
    # "floor": f}; deduction: {"per_item": points}.
    rule_options = models.JSONField(_("rule options"), default=dict, blank=True)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    scored_by_self = models.BooleanField(_("scored in the self-assessment"), default=True)
    scored_by_superior = models.BooleanField(_("scored by the superior"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scheme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_scheme_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_dimension(self) -> bool:
        return self.parent_id is None


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SELF = "self", _("Self-assessment")
    RESIDENTS = "residents", _("Residents' assessment")
    SUPERIOR = "superior", _("Superior's assessment")
    REVIEW = "review", _("Review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


ROUND_STATE_ORDER: tuple[str, ...] = tuple(RoundState.values)


class Round(TimeStampedModel):
    """An evaluation of the units below `organiser` for one period."""

    name = models.CharField(_("name"), max_length=100)
    organiser = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organising unit"),
        on_delete=models.PROTECT,
        related_name="evaluation_rounds",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    state = models.CharField(
        _("state"), max_length=16, choices=RoundState.choices, default=RoundState.DRAFT
    )
    schemes = models.ManyToManyField(Scheme, verbose_name=_("schemes"), related_name="rounds")
    # Working days each stage stays open once it starts.
    self_days = models.PositiveSmallIntegerField(_("self-assessment (working days)"), default=10)
    residents_days = models.PositiveSmallIntegerField(
        _("residents' assessment (working days)"), default=15
    )
    superior_days = models.PositiveSmallIntegerField(
        _("superior's assessment (working days)"), default=10
    )
    appeal_days = models.PositiveSmallIntegerField(_("appeal period (working days)"), default=5)
    stage_deadline = models.DateTimeField(_("current stage closes"), null=True, blank=True)
    appeal_deadline = models.DateTimeField(_("appeals close"), null=True, blank=True)
    # Frozen when the round opens: {"schemes": {unit_class: scheme tree}, "config": {...}}.
    snapshot = models.JSONField(_("snapshot"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-period_end", "-pk"]

    def __str__(self) -> str:
        return self.name


class RoundUnit(models.Model):
    """A unit evaluated in a round, with its peer group for ranking."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="units"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    unit_class = models.CharField(_("unit class"), max_length=16, choices=UnitClass.choices)
    # The unit's path when the round opened: membership checks and scoping use it.
    unit_path = models.CharField(_("unit path"), max_length=255)
    households = models.PositiveIntegerField(_("households surveyed"), default=0)

    class Meta:
        verbose_name = _("unit in a round")
        verbose_name_plural = _("units in a round")
        ordering = ["round", "unit_path"]
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="round_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.unit}"


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")


class SelfAssessment(TimeStampedModel):
    round_unit = models.OneToOneField(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="self_assessment",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.TextField(_("reason for returning"), blank=True)

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")


class SelfScore(models.Model):
    assessment = models.ForeignKey(
        SelfAssessment,
        verbose_name=_("self-assessment"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    indicator_code = models.SlugField(_("indicator"), max_length=32)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True)
    # Checklist rules: which items were met (indexes into the snapshot's items).
    items_met = models.JSONField(_("items met"), default=list, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        verbose_name = _("self-assessment score")
        verbose_name_plural = _("self-assessment scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator_code"], name="self_score_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code}: {self.points}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evaluation/evidence/{instance.score.assessment.round_unit.round_id}/{filename}"


class Evidence(models.Model):
    score = models.ForeignKey(
        SelfScore, verbose_name=_("score"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to=evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Rater(models.Model):
    """A member of a superior unit appointed to rate the units of a round below it."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="raters"
    )
    membership = models.ForeignKey(
        "orgs.Membership",
        verbose_name=_("rater"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rater")
        verbose_name_plural = _("raters")
        constraints = [
            models.UniqueConstraint(fields=["round", "membership"], name="rater_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.membership_id}"


class SuperiorRating(TimeStampedModel):
    round_unit = models.ForeignKey(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="superior_ratings",
    )
    rater = models.ForeignKey(
        Rater, verbose_name=_("rater"), on_delete=models.CASCADE, related_name="ratings"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("superior's rating")
        verbose_name_plural = _("superior's ratings")
        constraints = [
            models.UniqueConstraint(fields=["round_unit", "rater"], name="rating_once"),
        ]


class SuperiorScore(models.Model):
    rating = models.ForeignKey(
        SuperiorRating, verbose_name=_("rating"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator_code = models.SlugField(_("indicator"), max_length=32)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True)
    items_met = models.JSONField(_("items met"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("superior's score")
        verbose_name_plural = _("superior's scores")
        constraints = [
            models.UniqueConstraint(
                fields=["rating", "indicator_code"], name="superior_score_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code}: {self.points}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    SATISFACTION = "satisfaction", _("Satisfaction (five levels)")
    MULTIPLE = "multiple", _("Multiple choice")
    MATRIX = "matrix", _("Matrix (satisfaction per row)")
    TEXT = "text", _("Free text")


class Survey(TimeStampedModel):
    """The residents' questionnaire of a round (one per round)."""

    round = models.OneToOneField(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="survey"
    )
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("display order"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    # Choices for single and multiple choice; rows for a matrix.
    options = models.JSONField(_("options"), default=list, blank=True)
    # A single-choice question answering "was your problem solved?": the option counting as yes.
    yes_option = models.PositiveSmallIntegerField(
        _("option counting as yes"), null=True, blank=True
    )
    # Shown only when `show_if` was answered with one of `show_if_options` (option indexes).
    show_if = models.ForeignKey(
        "self",
        verbose_name=_("shown if"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dependants",
    )
    show_if_options = models.JSONField(_("shown for answers"), default=list, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "pk"]

    def __str__(self) -> str:
        return self.text


class TokenBatch(models.Model):
    """Tokens printed or sent for one unit; the raw tokens exist only in the printout."""

    round_unit = models.ForeignKey(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="token_batches",
    )
    count = models.PositiveIntegerField(_("number of tokens"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("token batch")
        verbose_name_plural = _("token batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.label or f"{self.round_unit_id}: {self.count}"


class SurveyToken(models.Model):
    """A one-use invitation to answer; only the SHA-256 of the 128-bit secret is stored."""

    batch = models.ForeignKey(
        TokenBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="tokens"
    )
    digest = models.CharField(_("token hash"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey token")
        verbose_name_plural = _("survey tokens")

    def __str__(self) -> str:
        return self.digest[:8]


class OpenLink(models.Model):
    """A public link (e.g. a poster at a venue) with per-device and per-address limits."""

    round_unit = models.ForeignKey(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="open_links",
    )
    slug = models.CharField(_("link code"), max_length=32, unique=True)
    place = models.CharField(_("place"), max_length=100)
    per_device = models.PositiveSmallIntegerField(_("answers per device"), default=1)
    per_address_per_day = models.PositiveSmallIntegerField(
        _("answers per network address per day"), default=20
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Answers the link turned away (over a limit, or from a device of the unit's own staff):
    # counted, not kept, so a stuffer cannot fill the database; shown as a flag on the result.
    refused = models.PositiveIntegerField(_("answers refused"), default=0)

    class Meta:
        verbose_name = _("open link")
        verbose_name_plural = _("open links")

    def __str__(self) -> str:
        return self.place


class Channel(models.TextChoices):
    TOKEN = "token", _("Token")
    OPEN_LINK = "open", _("Open link")


class SurveyResponse(models.Model):
    round_unit = models.ForeignKey(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    token = models.OneToOneField(
        SurveyToken,
        verbose_name=_("token"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="response",
    )
    open_link = models.ForeignKey(
        OpenLink,
        verbose_name=_("open link"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
    )
    # Keyed hashes (HMAC with the secret key): enough to count repeats, useless to identify.
    device_hash = models.CharField(_("device hash"), max_length=64, blank=True)
    address_hash = models.CharField(_("network address hash"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    # Set by someone above the unit (`response_exclude`, e.g. stuffing found afterwards);
    # excluded from scoring. Answers the open links refuse are not stored (`OpenLink.refused`).
    excluded_reason = models.CharField(_("excluded because"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["round_unit", "submitted_at"], name="response_unit_time_idx"),
            models.Index(fields=["open_link", "device_hash"], name="response_device_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.round_unit_id}: {self.submitted_at:%Y-%m-%d %H:%M}"


class StaffDevice(models.Model):
    """A device someone signed in on (keyed hash of its device cookie).

    An open link refuses answers from devices of the unit's own staff: they cannot pass for
    residents of their own unit from the phones they work on.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="survey_devices",
    )
    device_hash = models.CharField(_("device hash"), max_length=64)
    last_seen = models.DateTimeField(_("last signed in"))

    class Meta:
        verbose_name = _("staff device")
        verbose_name_plural = _("staff devices")
        constraints = [
            models.UniqueConstraint(fields=["user", "device_hash"], name="staff_device_unique")
        ]
        indexes = [models.Index(fields=["device_hash"], name="staff_device_hash_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.device_hash[:8]}"


class Answer(models.Model):
    response = models.ForeignKey(
        SurveyResponse,
        verbose_name=_("response"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    # single / satisfaction: option index or level (1–5); multiple: list of indexes;
    # matrix: list of levels per row; text: the text.
    value = models.JSONField(_("answer"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value}"


class Result(models.Model):
    """A unit's computed result in a round: the components beside the composite."""

    round_unit = models.OneToOneField(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="result",
    )
    self_score = models.FloatField(_("self-assessment score"), null=True)
    residents_score = models.FloatField(_("residents' score"), null=True)
    superior_score = models.FloatField(_("superior's score"), null=True)
    composite = models.FloatField(_("composite score"), null=True)
    grade = models.CharField(_("grade"), max_length=16, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    peers = models.PositiveIntegerField(_("units in the peer group"), default=0)
    # Dimension scores, rater spread, response counts, case metrics, gates, flags, sensitivity.
    details = models.JSONField(_("details"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.round_unit_id}: {self.composite}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Appeal(TimeStampedModel):
    round_unit = models.ForeignKey(
        RoundUnit,
        verbose_name=_("unit in a round"),
        on_delete=models.CASCADE,
        related_name="appeals",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grounds = models.TextField(_("grounds"))
    status = models.CharField(
        _("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-pk"]
