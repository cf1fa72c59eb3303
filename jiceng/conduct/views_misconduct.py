"""Pages of misconduct reports. Thin: parse, call, render.

Residents: the report form, the receipt, the lookup (code + passphrase) and the status page.
Inspectors: the inbox and the report's page. Everyone else gets 404 from the policy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.conduct import misconduct_selectors as selectors
from jiceng.conduct import misconduct_services as services
from jiceng.conduct.forms_misconduct import (
    InboxFilterForm,
    MisconductInfoForm,
    MisconductLookupForm,
    MisconductReportForm,
    NoteForm,
    OutcomeForm,
    ReplyForm,
    TriageForm,
)
from jiceng.conduct.misconduct_models import MisconductEvidence, MisconductReport
from jiceng.conduct.permissions_misconduct import is_inspector
from jiceng.core import ratelimit
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.orgs.views import staff_required

FILE_LIMIT, FILE_WINDOW = 10, 3600
LOOKUP_LIMIT, LOOKUP_WINDOW = 10, 900
SESSION_KEY = "conduct.misconduct.report"


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


# --- residents ------------------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    form = MisconductReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        ratelimit.check(
            "misconduct-file",
            ratelimit.client_ip(request),
            limit=FILE_LIMIT,
            window_seconds=FILE_WINDOW,
        )
        if form.is_valid():
            data = form.cleaned_data
            done = call_service(
                form,
                lambda: services.misconduct_file(
                    kind=data["kind"],
                    unit=data["unit"],
                    person=data["person"],
                    details=data["details"],
                    anonymous=data["anonymous"],
                    name=data["name"],
                    phone=data["phone"],
                    passphrase=data["passphrase"],
                    evidence=data["evidence"],
                ),
            )
            if done is not None:
                # The code is shown once, in this answer, and is never part of a URL.
                return render(request, "conduct/misconduct_receipt.html", {"code": done[1]})
    return render(request, "conduct/misconduct_report.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    form = MisconductLookupForm(request.POST or None)
    if request.method == "POST":
        ratelimit.check(
            "misconduct-lookup",
            ratelimit.client_ip(request),
            limit=LOOKUP_LIMIT,
            window_seconds=LOOKUP_WINDOW,
        )
        if form.is_valid():
            found = services.misconduct_lookup(
                code=form.cleaned_data["code"], passphrase=form.cleaned_data["passphrase"]
            )
            if found is not None:
                request.session.cycle_key()
                request.session[SESSION_KEY] = found.pk
                return redirect("misconduct_status")
            form.add_error(None, _("The receipt code and passphrase do not match a report."))
    return render(request, "conduct/misconduct_lookup.html", {"form": form})


def _proved_report(request: HttpRequest) -> MisconductReport | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return MisconductReport.objects.filter(pk=pk).first()


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    found = _proved_report(request)
    if found is None:
        return redirect("misconduct_lookup")
    form = MisconductInfoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            lambda: services.misconduct_add_info(
                report=found, text=data["text"], evidence=data["evidence"]
            ),
        )
        if done is not None:
            messages.success(request, _("Thank you. Your information has been added."))
            return redirect("misconduct_status")
    context = {
        "report": found,
        "events": selectors.misconduct_timeline(report=found, public_only=True),
        "form": form,
    }
    return render(request, "conduct/misconduct_status.html", context)


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("misconduct_lookup")


# --- inspectors -----------------------------------------------------------------------------
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not is_inspector(actor):
        raise Http404
    form = InboxFilterForm(request.GET or None)
    wanted: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        wanted = {
            "status": data["status"],
            "kind": data["kind"],
            "outcome": data["outcome"],
            "unit_path": data["unit"],
            "start": data["start"],
            "end": data["end"],
        }
    page = paginate(request, selectors.misconduct_inbox(actor=actor, **wanted))
    return render(request, "conduct/misconduct_inbox.html", {"page": page, "form": form})


FORMS: dict[str, Any] = {
    "triage": TriageForm,
    "note": NoteForm,
    "conclude": OutcomeForm,
    "reply": ReplyForm,
}


def _act(actor: Actor, found: MisconductReport, action: str, data: dict[str, Any]) -> Any:
    if action == "triage":
        return services.misconduct_triage(
            actor=actor, report=found, accept=data["decision"] == "accept", reason=data["reason"]
        )
    if action == "note":
        return services.misconduct_note(actor=actor, report=found, text=data["text"])
    if action == "conclude":
        return services.misconduct_conclude(
            actor=actor, report=found, outcome=data["outcome"], action_taken=data["action_taken"]
        )
    return services.misconduct_reply(actor=actor, report=found, text=data["text"])


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.misconduct_get(actor=actor, pk=pk)
    forms = {name: cls(prefix=name) for name, cls in FORMS.items()}
    contact = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "show_contact":
            contact = services.misconduct_contact_show(actor=actor, report=found)
        elif action in FORMS:
            form = FORMS[action](request.POST, prefix=action)
            forms[action] = form
            if form.is_valid() and (
                call_service(form, lambda: _act(actor, found, action, form.cleaned_data))
                is not None
            ):
                messages.success(request, _("Saved."))
                return redirect("misconduct_detail", pk=found.pk)
        else:
            raise Http404
    context = {
        "report": found,
        "events": selectors.misconduct_timeline(report=found, public_only=False),
        "evidence": found.evidence.only("pk", "content_type", "size", "created_at"),
        "forms": forms,
        "contact": contact,
    }
    return render(request, "conduct/misconduct_detail.html", context)


@never_cache
@staff_required
def evidence(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    found = selectors.misconduct_get(actor=_actor(request), pk=pk)
    item = MisconductEvidence.objects.filter(report=found, pk=evidence_id).first()
    if item is None:
        raise Http404
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
