from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

from jiceng.core.actors import Actor

register = template.Library()


@register.filter
def has_capability(actor: Actor | None, capability: str) -> bool:
    return actor is not None and actor.has_capability(capability)


@register.simple_tag
def bootstrap_widget(field: BoundField) -> SafeString:
    """The field's widget with Bootstrap classes and the ARIA links to its help and errors."""
    input_type = getattr(field.field.widget, "input_type", "")
    css = "form-select" if input_type == "select" else "form-control"
    attrs: dict[str, Any] = {"class": css + (" is-invalid" if field.errors else "")}
    described = []
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.id_for_label}-errors")
    if field.help_text:
        described.append(f"{field.id_for_label}-help")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def unit_kind_label(kind: str) -> str:
    from jiceng.orgs.roles import UnitKind

    return str(UnitKind(kind).label) if kind in UnitKind.values else kind
