from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from jiceng.core.actors import Actor
from jiceng.core.permissions import visible
from jiceng.library.models import CaseCitation

if TYPE_CHECKING:
    from jiceng.cases.models import Case

register = template.Library()


@register.simple_tag
def library_case_citations(case: Case, actor: Actor) -> list[CaseCitation]:
    """The library documents a case cites, as far as `actor` may see them."""
    return list(
        visible(actor, CaseCitation)
        .filter(case=case)
        .select_related("document")
        .only("note", "document__id", "document__title")
        .order_by("created_at")
    )
