"""factory-boy factories. State that has rules (memberships, keys) is built through services."""

from __future__ import annotations

from typing import Any

import factory

from jiceng.core.actors import SYSTEM, Actor
from jiceng.orgs import services
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import UnitKind

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"测试人员{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


_code_counter = iter(range(1, 10**9))


def make_unit(parent: OrgUnit | None, kind: str, name: str | None = None, **fields: Any) -> OrgUnit:
    code = fields.pop("code", None) or f"U{next(_code_counter):05d}"
    name = name or f"{UnitKind(kind).label}{code}"
    if parent is None:
        return services.unit_create_root(actor=SYSTEM, code=code, name=name, **fields)
    return services.unit_create(
        actor=SYSTEM, parent=parent, code=code, name=name, kind=kind, **fields
    )


def make_member(unit: OrgUnit, role: str, **user_fields: Any) -> User:
    user = UserFactory(**user_fields)
    services.membership_grant(actor=SYSTEM, user=user, unit=unit, role=role)
    return user


def actor_for(user: User, unit: OrgUnit | None = None) -> Actor:
    memberships = Membership.objects.active().filter(user=user).select_related("unit")
    if unit is not None:
        memberships = memberships.filter(unit=unit)
    return Actor(user=user, membership=memberships.order_by("unit__depth").first())
