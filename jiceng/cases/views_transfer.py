"""Staff pages to import hotline records and to export the case list. Thin: parse, call, render."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from jiceng.cases import exporting, importing, selectors
from jiceng.cases.forms_transfer import CaseExportForm, CaseImportForm
from jiceng.cases.importing import ImportResult
from jiceng.cases.models import Case
from jiceng.cases.services import RESIDENT_AREA_KINDS
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.forms import call_service
from jiceng.core.permissions import require
from jiceng.orgs.roles import Capability
from jiceng.orgs.selectors import units_visible
from jiceng.orgs.views import capability_required

# A report longer than this is cut on the page (the count of all problems is still shown).
MAX_ERRORS_SHOWN = 500
MAX_CODES_SHOWN = 100
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@capability_required(Capability.CASE_HANDLE)
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        form = CaseImportForm(request.POST, request.FILES)
    else:
        form = CaseImportForm()
    result: ImportResult | None = None
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["file"].name or ""
        result = call_service(
            form,
            lambda: importing.cases_import(actor=actor, file_name=name, content=form.content),
        )
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
        "codes_shown": result.tracking_codes[:MAX_CODES_SHOWN] if result else [],
        "columns": importing.COLUMNS,
        "max_mb": importing.max_bytes() // (1024 * 1024),
        "max_rows": importing.max_rows(),
    }
    return render(request, "cases/import.html", context)


@capability_required(Capability.CASE_HANDLE)
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    """A CSV with the column names and one example row, using a real category and area."""
    actor = _actor(request)
    category = selectors.leaf_categories().first()
    area = (
        units_visible(actor)
        .filter(kind__in=RESIDENT_AREA_KINDS, is_active=True)
        .order_by("path")
        .first()
    )
    rows = importing.template_rows(
        category_code=category.code if category is not None else "",
        area_code=area.code if area is not None else "",
        submitted_at=(timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
    )
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="hotline-import-template.csv"'
    response.write("\ufeff")
    csv.writer(response).writerows(rows)
    return response


@capability_required(Capability.CASE_HANDLE)
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The case list with the queue's filters, as CSV (streamed) or XLSX (`format`)."""
    actor = _actor(request)
    require(actor, "export", Case)
    form = CaseExportForm(request.GET, actor=actor)
    if not form.is_valid():
        raise DomainError(form.first_error())
    queryset = selectors.unit_queue(actor, form.to_filter())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: HttpResponse | StreamingHttpResponse
    if form.cleaned_data.get("format") == "xlsx":
        response = FileResponse(
            exporting.xlsx_file(queryset),
            as_attachment=True,
            filename=f"cases-{stamp}.xlsx",
            content_type=exporting.XLSX_CONTENT_TYPE,
        )
    else:
        response = StreamingHttpResponse(
            exporting.csv_chunks(queryset), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]
