"""Every write to units, people, memberships and API keys: one transaction, audited."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError, Forbidden, validate_fields
from jiceng.core.permissions import require
from jiceng.orgs import lookups
from jiceng.orgs.models import PHONE_PATTERN, ApiKey, Membership, OrgUnit, User, phone_validator
from jiceng.orgs.roles import ADMIN_ROLES, CHILD_KINDS, ROLE_UNIT_KINDS, Capability, Role, UnitKind

API_KEY_PREFIX = "jc"


def _require_in_subtree(actor: Actor, unit: OrgUnit) -> None:
    if actor.system:
        return
    if actor.unit is None or not actor.unit.contains(unit):
        raise Forbidden(_("This unit is outside the units you serve."))


def _validated_phone(phone: str | None, *, user: User | None = None) -> str | None:
    phone = (phone or "").strip() or None
    if phone is None:
        return None
    try:
        phone_validator(phone)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="phone") from None
    taken = User.objects.filter(phone=phone)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise DomainError(_("Another account uses this mobile number."), field="phone")
    return phone


# --- units ------------------------------------------------------------------------------------
def _new_unit(
    *, code: str, name: str, kind: str, population: int, address: str, phone: str
) -> OrgUnit:
    """An unsaved unit whose fields passed the model's validation."""
    if not name.strip():
        raise DomainError(_("Enter the unit's name."), field="name")
    if population < 0:
        raise DomainError(_("The population served cannot be negative."), field="population")
    if OrgUnit.objects.filter(code=code).exists():
        raise DomainError(_("Another unit uses the code %(code)s.") % {"code": code}, field="code")
    unit = OrgUnit(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        population=population,
        address=address.strip(),
        phone=phone.strip(),
    )
    validate_fields(unit, exclude=["path", "depth", "numchild"])
    return unit


@transaction.atomic
def unit_create_root(
    *,
    actor: Actor,
    code: str,
    name: str,
    population: int = 0,
    address: str = "",
    phone: str = "",
) -> OrgUnit:
    """The district at the top of the tree; only the system may create it (seed, set-up)."""
    if not actor.system:
        raise Forbidden()
    unit = OrgUnit.objects.add_root(
        instance=_new_unit(
            code=code,
            name=name,
            kind=UnitKind.DISTRICT,
            population=population,
            address=address,
            phone=phone,
        )
    )
    audit_log(
        actor=actor, action="orgs.unit.created", target=unit, data={"code": code, "kind": unit.kind}
    )
    return unit


@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    parent: OrgUnit,
    code: str,
    name: str,
    kind: str,
    population: int = 0,
    address: str = "",
    phone: str = "",
) -> OrgUnit:
    require(actor, "add_child", OrgUnit, parent)
    _require_in_subtree(actor, parent)
    if kind not in CHILD_KINDS.get(parent.kind, ()):
        raise DomainError(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {
                "child": UnitKind(kind).label if kind in UnitKind.values else kind,
                "parent": parent.get_kind_display(),
            },
            field="kind",
        )
    instance = _new_unit(
        code=code, name=name, kind=kind, population=population, address=address, phone=phone
    )
    parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
    unit = OrgUnit.objects.add_child(parent, instance=instance)
    audit_log(
        actor=actor,
        action="orgs.unit.created",
        target=unit,
        data={"code": code, "kind": kind, "parent": parent.code},
    )
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: Actor,
    unit: OrgUnit,
    name: str,
    population: int,
    address: str,
    phone: str,
    is_active: bool,
) -> OrgUnit:
    require(actor, "edit", OrgUnit, unit)
    _require_in_subtree(actor, unit)
    if not name.strip():
        raise DomainError(_("Enter the unit's name."), field="name")
    if population < 0:
        raise DomainError(_("The population served cannot be negative."), field="population")
    if not is_active and actor.unit is not None and unit.pk == actor.unit.pk:
        raise DomainError(
            _("You cannot deactivate the unit you are acting for."), field="is_active"
        )
    before = {
        "name": unit.name,
        "population": unit.population,
        "address": unit.address,
        "phone": unit.phone,
        "is_active": unit.is_active,
    }
    unit.name, unit.population, unit.address, unit.phone, unit.is_active = (
        name.strip(),
        population,
        address.strip(),
        phone.strip(),
        is_active,
    )
    validate_fields(unit, exclude=["path", "depth", "numchild", "code"])
    unit.save(update_fields=["name", "population", "address", "phone", "is_active", "updated_at"])
    after = {
        "name": unit.name,
        "population": unit.population,
        "address": unit.address,
        "phone": unit.phone,
        "is_active": unit.is_active,
    }
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit_log(actor=actor, action="orgs.unit.updated", target=unit, data={"changes": changes})
    return unit


# --- people -----------------------------------------------------------------------------------
def _check_role_for_unit(actor: Actor, *, unit: OrgUnit, role: str) -> None:
    if role not in Role.values:
        raise DomainError(_("Choose a valid role."), field="role")
    if unit.kind not in ROLE_UNIT_KINDS[role]:
        raise DomainError(
            _("The role %(role)s cannot be held in a %(kind)s.")
            % {"role": Role(role).label, "kind": unit.get_kind_display()},
            field="role",
        )
    if role in ADMIN_ROLES and not (
        actor.system or actor.has_capability(Capability.GRANT_ADMIN_ROLES)
    ):
        raise Forbidden(_("Only a system administrator can grant administrator roles."))
    if not unit.is_active:
        raise DomainError(_("This unit is no longer active."), field="unit")


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from None


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    unit: OrgUnit,
    role: str,
    password: str | None = None,
    password_hash: str | None = None,
    title: str = "",
    phone: str | None = None,
    email: str = "",
    preferred_language: str = "zh-hans",
) -> User:
    """A new staff account together with its first membership.

    Give the password, or the hash of one in a format Django verifies (`password_hash`), for
    accounts moved from another system or many accounts sharing a published demo password.
    """
    require(actor, "create", User)
    _require_in_subtree(actor, unit)
    _check_role_for_unit(actor, unit=unit, role=role)
    username = username.strip()
    if not username:
        raise DomainError(_("Enter a user name."), field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("This user name is taken."), field="username")
    if re.fullmatch(PHONE_PATTERN, username) and username != (phone or ""):
        raise DomainError(
            _("A user name that looks like a mobile number must be the account's own number."),
            field="username",
        )
    if not display_name.strip():
        raise DomainError(_("Enter the name to display."), field="display_name")
    user = User(
        username=username,
        display_name=display_name.strip(),
        phone=_validated_phone(phone),
        email=email.strip(),
        preferred_language=preferred_language,
    )
    if (password is None) == (password_hash is None):
        raise DomainError(_("Set a password for the account."), field="password")
    if password is not None:
        _check_password(password, user)
        user.set_password(password)
    else:
        assert password_hash is not None
        try:
            identify_hasher(password_hash)
        except ValueError:
            raise DomainError(
                _("The password hash is not in a format the system can verify."), field="password"
            ) from None
        user.password = password_hash
    validate_fields(user, exclude=["password", "last_login"])
    user.save()
    membership = Membership(user=user, unit=unit, role=role, title=title.strip())
    validate_fields(membership, exclude=["user", "unit"])
    membership.save()
    audit_log(
        actor=actor,
        action="orgs.user.created",
        target=user,
        data={"username": username, "unit": unit.code, "role": role},
    )
    audit_log(
        actor=actor,
        action="orgs.membership.granted",
        target=membership,
        data={"user": user.username, "unit": unit.code, "role": role},
    )
    return user


@transaction.atomic
def user_update(
    *,
    actor: Actor,
    user: User,
    display_name: str,
    phone: str | None,
    email: str,
    preferred_language: str,
) -> User:
    if user.pk != getattr(actor.user, "pk", None):
        require(actor, "edit", User, user)
    if not display_name.strip():
        raise DomainError(_("Enter the name to display."), field="display_name")
    before = {
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "preferred_language": user.preferred_language,
    }
    user.display_name = display_name.strip()
    user.phone = _validated_phone(phone, user=user)
    user.email = email.strip()
    user.preferred_language = preferred_language
    validate_fields(user, exclude=["password", "last_login", "username"])
    user.save(update_fields=["display_name", "phone", "email", "preferred_language"])
    after = {
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "preferred_language": user.preferred_language,
    }
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit_log(actor=actor, action="orgs.user.updated", target=user, data={"changes": changes})
    return user


@transaction.atomic
def user_set_language(*, actor: Actor, language: str) -> User:
    """The signed-in person's own choice of language, kept for their next sign-in."""
    user = actor.user
    if user is None:
        raise Forbidden()
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the offered languages."), field="language")
    if user.preferred_language != language:
        previous = user.preferred_language
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
        audit_log(
            actor=actor,
            action="orgs.user.language_set",
            target=user,
            data={"changes": {"preferred_language": [previous, language]}},
        )
    return user


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, is_active: bool, reason: str) -> User:
    require(actor, "deactivate" if not is_active else "activate", User, user)
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit_log(
        actor=actor,
        action="orgs.user.activated" if is_active else "orgs.user.deactivated",
        target=user,
        reason=reason.strip(),
    )
    return user


@transaction.atomic
def user_reset_password(*, actor: Actor, user: User, password: str) -> User:
    require(actor, "reset_password", User, user)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_log(actor=actor, action="orgs.user.password_reset", target=user)
    return user


@transaction.atomic
def membership_grant(
    *, actor: Actor, user: User, unit: OrgUnit, role: str, title: str = ""
) -> Membership:
    require(actor, "grant", Membership)
    _require_in_subtree(actor, unit)
    _check_role_for_unit(actor, unit=unit, role=role)
    if Membership.objects.filter(user=user, unit=unit, role=role, is_active=True).exists():
        raise DomainError(_("This person already holds this role in this unit."), field="role")
    membership = Membership(user=user, unit=unit, role=role, title=title.strip())
    validate_fields(membership, exclude=["user", "unit"])
    membership.save()
    audit_log(
        actor=actor,
        action="orgs.membership.granted",
        target=membership,
        data={"user": user.username, "unit": unit.code, "role": role},
    )
    return membership


@transaction.atomic
def membership_end(*, actor: Actor, membership: Membership, reason: str) -> Membership:
    require(actor, "end", Membership, membership)
    _require_in_subtree(actor, membership.unit)
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    if not membership.is_active:
        raise DomainError(_("This membership has ended already."))
    membership.is_active = False
    membership.ended_at = timezone.now()
    membership.save(update_fields=["is_active", "ended_at", "updated_at"])
    audit_log(
        actor=actor,
        action="orgs.membership.ended",
        target=membership,
        data={
            "user": membership.user.username,
            "unit": membership.unit.code,
            "role": membership.role,
        },
        reason=reason.strip(),
    )
    return membership


# --- API keys ---------------------------------------------------------------------------------
def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, actor: Actor, name: str, unit: OrgUnit) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored."""
    require(actor, "create", ApiKey)
    _require_in_subtree(actor, unit)
    if not name.strip():
        raise DomainError(_("Name the key after the system that will use it."), field="name")
    prefix = secrets.token_hex(5)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name.strip()[:100],
        unit=unit,
        prefix=prefix,
        key_hash=_hash_key(raw_key),
        created_by=actor.user if actor.user is not None else None,
    )
    audit_log(actor=actor, action="orgs.api_key.created", target=api_key, data={"unit": unit.code})
    return api_key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: Actor, api_key: ApiKey, reason: str) -> ApiKey:
    require(actor, "revoke", ApiKey, api_key)
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_reason = reason.strip()[:200]
        api_key.save(update_fields=["revoked_at", "revoked_reason"])
        audit_log(actor=actor, action="orgs.api_key.revoked", target=api_key, reason=reason.strip())
    return api_key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None; notes when it was last used (once a minute)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = lookups.active_api_key(parts[1])
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(raw_key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now  # the instance is kept by this process (orgs.lookups)
    return api_key
