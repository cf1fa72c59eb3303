"""Pages of the library. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.cases import selectors as case_selectors
from jiceng.core import ratelimit
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import Page, page_number, paginate
from jiceng.core.permissions import can
from jiceng.library import selectors, services
from jiceng.library.forms import (
    CiteForm,
    DecisionForm,
    DisputeForm,
    DisputeLookupForm,
    DocumentForm,
    HideForm,
    ReviewForm,
    SearchForm,
)
from jiceng.library.models import Document, DocumentStatus, VersionStatus
from jiceng.library.permissions import is_library_admin
from jiceng.orgs.views import staff_required

DISPUTE_LIMIT, DISPUTE_WINDOW = 5, 3600
LOOKUP_LIMIT, LOOKUP_WINDOW = 10, 900


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _admin(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not is_library_admin(actor):
        raise PermissionDenied
    return actor


def search(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = SearchForm(request.GET or None)
    results = pages = None
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if form.is_bound else {}
        results = selectors.library_search(
            actor=actor,
            query=data.get("q") or "",
            filters=selectors.SearchFilters(
                kind=data.get("kind") or "",
                source=data.get("source") or "",
                year=data.get("year"),
                tag=data.get("tag") or "",
                unit_path=data["unit"].path if data.get("unit") else "",
            ),
            page=page_number(request),
        )
        pages = Page(
            items=results.hits,
            number=results.page,
            page_size=selectors.PAGE_SIZE,
            has_next=results.has_next,
            query=request.GET,
        )
    return render(
        request,
        "library/search.html",
        {
            "form": form,
            "results": results,
            "pages": pages,
            "can_upload": can(actor, "upload", Document),
            "is_admin": is_library_admin(actor),
        },
    )


def document(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.document_get(actor, pk)
    services.document_count_view(document=found)
    full = can(actor, "read_full", Document, found)
    limit = selectors.preview_chars()
    body = found.body if full else found.body[:limit]
    context: dict[str, Any] = {
        "document": found,
        "paragraphs": [p for p in body.split("\n") if p.strip()],
        "partial": not full and len(found.body) > limit,
        "full": full,
        "attachments": selectors.attachments_of(actor, found) if full else [],
        "related": selectors.related_documents(actor, found),
        "can_edit": can(actor, "edit", Document, found),
        "can_cite": can(actor, "cite", Document, found),
        "cite_form": CiteForm(),
        "is_admin": is_library_admin(actor),
    }
    return render(request, "library/document.html", context)


def download(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.document_get(actor, pk)
    if not can(actor, "download", Document, found):
        raise Http404
    file = selectors.attachment_get(actor, found, attachment)
    services.document_count_download(document=found)
    content_type = {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "txt": "text/plain; charset=utf-8",
    }[file.kind]
    response = HttpResponse(bytes(file.data), content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=document-{found.pk}-{file.pk}.{file.kind}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        created = call_service(
            form,
            lambda: services.document_submit(
                actor=actor,
                fields=form.fields_value(),
                attachments=form.uploads(),
                note=form.cleaned_data["note"],
            ),
        )
        if created is not None:
            messages.success(
                request, _("Submitted. A district administrator reviews it before it is published.")
            )
            return redirect("library_document", pk=created.pk)
    return render(request, "library/form.html", {"form": form, "document": None})


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.document_get(actor, pk)
    if not can(actor, "edit", Document, found):
        raise Http404
    form = DocumentForm(
        request.POST or None, request.FILES or None, initial=DocumentForm.initial_for(found)
    )
    if request.method == "POST" and form.is_valid():
        version = call_service(
            form,
            lambda: services.document_edit(
                actor=actor,
                document=found,
                fields=form.fields_value(),
                attachments=form.uploads(),
                note=form.cleaned_data["note"],
            ),
        )
        if version is not None:
            messages.success(
                request, _("Version %(n)d submitted for review.") % {"n": version.number}
            )
            return redirect("library_document", pk=found.pk)
    return render(request, "library/form.html", {"form": form, "document": found})


@staff_required
def versions(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.document_get(actor, pk)
    return render(
        request,
        "library/versions.html",
        {"document": found, "versions": selectors.versions_of(actor, found)},
    )


@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    page = paginate(request, selectors.review_queue(actor))
    return render(request, "library/review_queue.html", {"page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _admin(request)
    version = selectors.version_get(actor, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: services.version_review(
                actor=actor,
                version=version,
                approve=form.cleaned_data["approve"],
                reason=form.cleaned_data["reason"],
            ),
        )
        if done is not None:
            messages.success(request, _("Review recorded."))
            return redirect("library_review_queue")
    current = version.document
    return render(
        request,
        "library/review.html",
        {
            "version": version,
            "document": current,
            "form": form,
            "pending": version.status == VersionStatus.PENDING,
            "first_version": current.status != DocumentStatus.PUBLISHED,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.document_get(actor, pk)
    form = DisputeForm(request.POST or None)
    if request.method == "POST":
        ratelimit.check(
            "library-dispute",
            ratelimit.client_ip(request),
            limit=DISPUTE_LIMIT,
            window_seconds=DISPUTE_WINDOW,
        )
        if form.is_valid():
            data = form.cleaned_data
            filed = call_service(
                form,
                lambda: services.dispute_file(
                    actor=actor,
                    document=found,
                    claimant=data["claimant"],
                    contact=data["contact"],
                    evidence=data["evidence"],
                    requested_action=data["requested_action"],
                ),
            )
            if filed is not None:
                # The code is shown once, in this answer, and is never part of a URL.
                return render(
                    request,
                    "library/dispute_received.html",
                    {"document": found, "code": filed[1]},
                )
    return render(request, "library/dispute_form.html", {"document": found, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def dispute_lookup(request: HttpRequest) -> HttpResponse:
    """The claimant follows their dispute with the receipt code (no account)."""
    form = DisputeLookupForm(request.POST or None)
    receipt = None
    if request.method == "POST":
        ratelimit.check(
            "library-dispute-lookup",
            ratelimit.client_ip(request),
            limit=LOOKUP_LIMIT,
            window_seconds=LOOKUP_WINDOW,
        )
        if form.is_valid():
            receipt = services.dispute_lookup(code=form.cleaned_data["code"])
            if receipt is None:
                form.add_error("code", _("This receipt code does not match a claim."))
    return render(request, "library/dispute_lookup.html", {"form": form, "receipt": receipt})


@staff_required
def disputes(request: HttpRequest) -> HttpResponse:
    actor = _admin(request)
    show_all = request.GET.get("all") == "1"
    queryset = (
        selectors.disputes_all(actor).order_by("-created_at")
        if show_all
        else selectors.disputes_open(actor)
    )
    return render(
        request,
        "library/disputes.html",
        {"page": paginate(request, queryset), "show_all": show_all},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _admin(request)
    found = selectors.dispute_get(actor, pk)
    hide_form = HideForm(request.POST if request.POST.get("step") == "hide" else None)
    decision_form = DecisionForm(request.POST if request.POST.get("step") == "decide" else None)
    if request.method == "POST":
        if hide_form.is_bound and hide_form.is_valid():
            if call_service(
                hide_form,
                lambda: services.dispute_hide(
                    actor=actor, dispute=found, reason=hide_form.cleaned_data["reason"]
                ),
            ):
                messages.success(request, _("The document is hidden pending review."))
                return redirect("library_dispute_detail", pk=found.pk)
        elif decision_form.is_bound and decision_form.is_valid():
            data = decision_form.cleaned_data
            if call_service(
                decision_form,
                lambda: services.dispute_decide(
                    actor=actor, dispute=found, decision=data["decision"], reason=data["reason"]
                ),
            ):
                messages.success(request, _("Decision recorded."))
                return redirect("library_dispute_detail", pk=found.pk)
    return render(
        request,
        "library/dispute_detail.html",
        {"dispute": found, "hide_form": hide_form, "decision_form": decision_form},
    )


@staff_required
@require_POST
def cite(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    citing = selectors.document_get(actor, pk)
    form = CiteForm(request.POST)
    if form.is_valid():
        try:
            cited = selectors.document_get(actor, form.cleaned_data["document"])
        except Http404:
            messages.error(request, _("No document with this number is visible to you."))
            return redirect("library_document", pk=citing.pk)
        services.citation_add(actor=actor, citing=citing, cited=cited)
        messages.success(request, _("Citation recorded."))
    else:
        messages.error(request, _("Enter the number of a document."))
    return redirect("library_document", pk=citing.pk)


@staff_required
@require_POST
def case_cite(request: HttpRequest, case_pk: int) -> HttpResponse:
    actor = _actor(request)
    case = case_selectors.case_get(actor, pk=case_pk)
    form = CiteForm(request.POST)
    if form.is_valid():
        try:
            cited = selectors.document_get(actor, form.cleaned_data["document"])
        except Http404:
            messages.error(request, _("No document with this number is visible to you."))
            return redirect("case_detail", pk=case.pk)
        services.case_citation_add(
            actor=actor, case=case, document=cited, note=form.cleaned_data["note"]
        )
        messages.success(request, _("The case now cites the document."))
    else:
        messages.error(request, _("Enter the number of a document."))
    return redirect("case_detail", pk=case.pk)
