"""Permission policies: one per model, registered centrally, consulted by selectors and services.

A policy answers two questions about an actor: which rows of the model it may see at all
(`scope`), and whether it may perform an action (`can`), optionally on one row. Object access
goes through `access_object`, which answers 404 for missing and forbidden rows alike, so a
sibling unit cannot learn what exists next door.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404

from jiceng.core.actors import Actor
from jiceng.core.errors import Forbidden

M = TypeVar("M", bound=models.Model)


class ModelPolicy(Generic[M]):
    model: type[M]

    def scope(self, actor: Actor, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
        """The rows `actor` may see. Deny by default."""
        return queryset.none()

    def can(self, actor: Actor, action: str, obj: M | None = None) -> bool:
        """Whether `actor` may perform `action` (on `obj`, which is already in scope)."""
        return False


_registry: dict[type[models.Model], ModelPolicy[Any]] = {}


def register(model: type[M]) -> Any:
    """Class decorator: `@register(OrgUnit) class OrgUnitPolicy(ModelPolicy[OrgUnit])`."""

    def decorator(policy_class: type[ModelPolicy[M]]) -> type[ModelPolicy[M]]:
        if model in _registry:
            raise RuntimeError(f"A policy for {model.__name__} is registered already.")
        policy = policy_class()
        policy.model = model
        _registry[model] = policy
        return policy_class

    return decorator


def policy_for(model: type[M]) -> ModelPolicy[M]:
    try:
        return _registry[model]
    except KeyError:
        raise LookupError(f"No permission policy is registered for {model.__name__}.") from None


def registered_models() -> list[type[models.Model]]:
    return list(_registry)


def visible(
    actor: Actor, model: type[M], queryset: models.QuerySet[M] | None = None
) -> models.QuerySet[M]:
    """The rows of `model` that `actor` may see."""
    base = queryset if queryset is not None else model._default_manager.all()
    return policy_for(model).scope(actor, base)


def can(actor: Actor, action: str, model: type[M], obj: M | None = None) -> bool:
    return policy_for(model).can(actor, action, obj)


def require(actor: Actor, action: str, model: type[M], obj: M | None = None) -> None:
    """Raise Forbidden unless `actor` may perform `action`."""
    if not can(actor, action, model, obj):
        raise Forbidden()


def access_object(
    actor: Actor,
    model: type[M],
    *,
    action: str = "view",
    queryset: models.QuerySet[M] | None = None,
    **lookup: Any,
) -> M:
    """The one row matching `lookup` that `actor` may see and act on; Http404 otherwise."""
    if any(isinstance(value, str) and "\x00" in value for value in lookup.values()):
        raise Http404()  # PostgreSQL refuses NUL in text; no row can have one
    try:
        obj = visible(actor, model, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404() from None
    if not policy_for(model).can(actor, action, obj):
        raise Http404()
    return obj
