"""Hot issues (最关心的问题): cases of a street and month grouped into issues, and the issue a
street adopts as its issue of the month (每月一题). Written by `jiceng.insight.hot_services`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HotIssue(models.Model):
    """Cases of one street (`unit`) and one month about the same problem."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(_("street path"), max_length=255)
    month = models.DateField(_("month"))  # the first day of the month
    title = models.CharField(_("title"), max_length=200)
    title_score = models.FloatField(_("title score"), default=0.0)
    key_terms = models.JSONField(_("key terms"), default=list)
    # Term → weight, at most CENTROID_TERMS terms.
    centroid = models.JSONField(_("term weights"), default=dict)
    case_count = models.PositiveIntegerField(_("cases"), default=0)
    resident_count = models.PositiveIntegerField(_("residents"), default=0)
    support_count = models.PositiveIntegerField(_("support"), default=0)
    community_count = models.PositiveIntegerField(_("communities"), default=0)
    first_seen = models.DateTimeField(_("first seen"), null=True)
    last_seen = models.DateTimeField(_("last seen"), null=True)
    daily = models.JSONField(_("cases per day"), default=dict)  # "YYYY-MM-DD" → count
    # Heat ranks the same at any moment when its decay is counted from a fixed epoch:
    # rank = ln(mass × spread) + ln 2 × (days from the epoch to last_seen) / half-life.
    rank = models.FloatField(_("heat rank"), default=0.0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hot issue")
        verbose_name_plural = _("hot issues")
        indexes = [
            models.Index(fields=["month", "unit_path", "rank"], name="hotissue_month_path_idx"),
            models.Index(fields=["unit", "month"], name="hotissue_unit_month_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class HotIssueTerm(models.Model):
    """One key term of an issue: the inverted index that finds candidate issues for a case."""

    issue = models.ForeignKey(
        HotIssue, verbose_name=_("hot issue"), on_delete=models.CASCADE, related_name="terms"
    )
    unit_id_copy = models.PositiveBigIntegerField(_("street ID"))
    month = models.DateField(_("month"))
    term = models.CharField(_("term"), max_length=40)

    class Meta:
        verbose_name = _("hot issue term")
        verbose_name_plural = _("hot issue terms")
        indexes = [
            models.Index(fields=["unit_id_copy", "month", "term"], name="hotissueterm_lookup_idx")
        ]

    def __str__(self) -> str:
        return self.term


class HotIssueCase(models.Model):
    """A case's membership of an issue, with what counting the issue needs."""

    issue = models.ForeignKey(
        HotIssue, verbose_name=_("hot issue"), on_delete=models.CASCADE, related_name="members"
    )
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="hot_membership",
    )
    # Keyed hash of the contact; case id if none.
    resident_key = models.CharField(_("resident key"), max_length=64)
    community_path = models.CharField(_("community path"), max_length=255)
    submitted_at = models.DateTimeField(_("submitted at"))
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("hot issue case")
        verbose_name_plural = _("hot issue cases")
        indexes = [
            models.Index(fields=["issue", "submitted_at"], name="hotissuecase_issue_idx"),
            models.Index(fields=["community_path", "issue"], name="hotissuecase_community_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id}:{self.case_id}"


class HotTermStat(models.Model):
    """In how many placed cases a term occurred: over all cases (scope 0), the IDF of the
    weights; and in one street (scope = the street's id), which turns down the street's place
    names. The empty term of a street holds its number of cases."""

    scope = models.PositiveBigIntegerField(_("scope"), default=0)
    term = models.CharField(_("term"), max_length=40, blank=True)
    documents = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("hot term count")
        verbose_name_plural = _("hot term counts")
        constraints = [
            models.UniqueConstraint(fields=["scope", "term"], name="hottermstat_scope_term")
        ]

    def __str__(self) -> str:
        return self.term


class HotIssueCursor(models.Model):
    """How far the background job got: the last case id it looked at."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    last_case_id = models.PositiveBigIntegerField(_("last case ID"), default=0)
    # Cases counted in HotTermStat.
    documents = models.PositiveBigIntegerField(_("cases counted"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hot issue job progress")
        verbose_name_plural = _("hot issue job progress")

    def __str__(self) -> str:
        return self.name


class IssueOfMonth(models.Model):
    """每月一题: a street adopts one hot issue a month as a rectification project."""

    issue = models.OneToOneField(
        HotIssue, verbose_name=_("hot issue"), on_delete=models.PROTECT, related_name="adoption"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"))
    rectification = models.OneToOneField(
        "conduct.RectificationItem",
        verbose_name=_("rectification item"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adopted by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adopted_at = models.DateTimeField(_("adopted at"))

    class Meta:
        verbose_name = _("issue of the month")
        verbose_name_plural = _("issues of the month")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="issue_of_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.issue_id}"
