"""Staff pages of routing: the street's triage queue and the gazetteer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.cases.permissions import reads_cases
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.insight import routing_services
from jiceng.insight.forms_routing import GazetteerEntryForm
from jiceng.insight.permissions_routing import edits_gazetteer
from jiceng.orgs.selectors import units_visible
from jiceng.orgs.views import staff_required


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@staff_required
def triage(request: HttpRequest) -> HttpResponse:
    """Requests whose address nobody recognised, waiting at a street to be routed."""
    actor = _actor(request)
    if not reads_cases(actor):
        raise PermissionDenied
    page = paginate(request, routing_services.triage_queue(actor))
    return render(request, "insight/triage.html", {"page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def gazetteer(request: HttpRequest) -> HttpResponse:
    """The places of the actor's units; the district and streets add and change them."""
    actor = _actor(request)
    if not reads_cases(actor):
        raise PermissionDenied
    editor = edits_gazetteer(actor)
    form = None
    if editor:
        form = GazetteerEntryForm(request.POST or None, units=units_visible(actor))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            saved = call_service(
                form,
                lambda: routing_services.gazetteer_entry_save(
                    actor=actor,
                    unit=data["unit"],
                    kind=data["kind"],
                    name=data["name"],
                    aliases=data["aliases"],
                    number_from=data["number_from"],
                    number_to=data["number_to"],
                ),
            )
            if saved is not None:
                messages.success(request, _("The place has been added."))
                return redirect("insight_gazetteer")
    elif request.method == "POST":
        raise PermissionDenied
    page = paginate(request, routing_services.gazetteer_entries(actor), page_size=50)
    return render(request, "insight/gazetteer.html", {"page": page, "form": form})
