from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from jiceng.core.models import TimeStampedModel
from jiceng.orgs.roles import Role, UnitKind

PHONE_PATTERN = r"1[3-9]\d{9}"
phone_validator = RegexValidator(
    rf"^{PHONE_PATTERN}$", _("Enter an 11-digit mainland mobile number, such as 13800138000.")
)
unit_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$",
    _("Use up to 32 letters, digits and hyphens, starting with a letter or digit."),
)


class JicengUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        """Sign in with the user name or the mobile number."""
        return self.get(Q(username=username) | Q(phone=username))


class User(AbstractUser):
    phone = models.CharField(
        _("mobile number"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[phone_validator],
    )
    display_name = models.CharField(_("display name"), max_length=50)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    objects: ClassVar[JicengUserManager] = JicengUserManager()

    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class OrgUnit(MP_Node):
    """A unit of the organisation tree; subtree queries are path-prefix queries on an index."""

    # treebeard's tree fields, declared again exactly as `MP_Node` declares them, only to give
    # them translated names.
    path = models.CharField(_("tree path"), max_length=255, unique=True)
    depth = models.PositiveIntegerField(_("depth in the tree"))
    numchild = models.PositiveIntegerField(_("child units"), default=0)
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    population = models.PositiveIntegerField(_("population served"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("office telephone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        indexes = [models.Index(fields=["kind", "path"], name="orgunit_kind_path_idx")]

    def __str__(self) -> str:
        return self.name

    def subtree_q(self, prefix: str = "") -> Q:
        """A filter for rows whose unit (reached through `prefix`) lies in this subtree."""
        return Q(**{f"{prefix}path__startswith": self.path})

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(TimeStampedModel):
    """A user's role in a unit. Ended, never deleted, so history keeps who held what."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    title = models.CharField(_("position"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role"],
                condition=Q(is_active=True),
                name="membership_unique_active_role",
            )
        ]
        indexes = [
            models.Index(fields=["unit", "role", "is_active"], name="membership_unit_role_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class ApiKey(models.Model):
    """A key for machine clients (Open311, JSON API), acting for one unit's subtree.

    Only a hash of the secret is stored; the full key is shown once, when it is made.
    """

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="api_keys"
    )
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
