"""Scheme pages: district administrators edit; other evaluation participants read.

Thin: parse, one service or selector, render. Those outside evaluation get 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.forms import call_service
from jiceng.core.permissions import access_object, can
from jiceng.evaluation import scheme_selectors as selectors
from jiceng.evaluation import scheme_services as services
from jiceng.evaluation import scheme_xlsx
from jiceng.evaluation.default_scheme import DEFAULT_SCHEMES
from jiceng.evaluation.forms_schemes import (
    CloneForm,
    DimensionForm,
    IndicatorForm,
    MoveForm,
    SchemeForm,
    SchemeImportForm,
)
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.views import staff_required

MAX_ERRORS_SHOWN = 200


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not can(actor, "view", Scheme):
        raise Http404
    return actor


def _configurer(request: HttpRequest) -> tuple[Actor, OrgUnit]:
    actor = _viewer(request)
    if not can(actor, "edit", Scheme) or actor.unit is None:
        raise PermissionDenied
    return actor, actor.unit


def _scheme(actor: Actor, pk: int) -> Scheme:
    return access_object(actor, Scheme, pk=pk)


def _indicator(actor: Actor, scheme: Scheme, pk: int) -> Indicator:
    return access_object(
        actor, Indicator, queryset=Indicator.objects.select_related("scheme"), pk=pk, scheme=scheme
    )


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    """Run a service for a button; its refusal becomes a message. Whether it succeeded."""
    try:
        action()
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        messages.error(request, str(error.message))
        return False
    messages.success(request, done)
    return True


@staff_required
@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    families = selectors.scheme_families(actor)
    codes = {family.code for family in families}
    return render(
        request,
        "evaluation/scheme_list.html",
        {
            "families": families,
            "can_edit": can(actor, "edit", Scheme),
            "defaults_missing": any(d.family not in codes for d in DEFAULT_SCHEMES),
        },
    )


@staff_required
@require_POST
def scheme_install_defaults(request: HttpRequest) -> HttpResponse:
    actor, unit = _configurer(request)
    created = services.scheme_install_defaults(actor=actor, owner=unit)
    if created:
        messages.success(
            request,
            ngettext(
                "%(count)d default scheme has been created and published.",
                "%(count)d default schemes have been created and published.",
                len(created),
            )
            % {"count": len(created)},
        )
    else:
        messages.info(request, _("The default schemes exist already."))
    return redirect("scheme_list")


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_new(request: HttpRequest) -> HttpResponse:
    actor, unit = _configurer(request)
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scheme = call_service(
            form,
            lambda: services.scheme_create(
                actor=actor,
                owner=unit,
                family=data["family"],
                name=data["name"],
                unit_class=data["unit_class"],
                description=data["description"],
            ),
        )
        if scheme is not None:
            messages.success(request, _("The scheme has been created as a draft."))
            return redirect("scheme_detail", pk=scheme.pk)
    return render(
        request,
        "evaluation/scheme_form.html",
        {"form": form, "title": _("New indicator scheme"), "back": None},
    )


@staff_required
@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _viewer(request)
    scheme = access_object(actor, Scheme, queryset=Scheme.objects.select_related("based_on"), pk=pk)
    is_draft = scheme.status == SchemeStatus.DRAFT
    rows = services.scheme_rows(scheme)
    tree = selectors.scheme_tree(rows)
    versions = list(
        selectors.schemes_visible(actor)
        .filter(family=scheme.family)
        .only("pk", "version", "status", "published_at")
    )
    return render(
        request,
        "evaluation/scheme_detail.html",
        {
            "scheme": scheme,
            "tree": tree,
            "dimensions": [node.indicator for node in tree],
            "versions": versions,
            "can_edit": can(actor, "edit", Scheme),
            "is_draft": is_draft,
            "problems": services.publish_problems(scheme, rows) if is_draft else [],
            "has_draft": any(v.status == SchemeStatus.DRAFT for v in versions),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    initial = {"name": scheme.name, "description": scheme.description}
    form = SchemeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call_service(
            form,
            lambda: services.scheme_update(
                actor=actor, scheme=scheme, name=data["name"], description=data["description"]
            ),
        )
        if saved is not None:
            messages.success(request, _("The scheme has been saved."))
            return redirect("scheme_detail", pk=scheme.pk)
    return render(
        request,
        "evaluation/scheme_form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": scheme}, "back": scheme},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    if request.method == "POST":
        if _act(
            request,
            lambda: services.scheme_delete(actor=actor, scheme=scheme),
            _("The draft has been deleted."),
        ):
            return redirect("scheme_list")
        return redirect("scheme_detail", pk=scheme.pk)
    return render(
        request,
        "evaluation/scheme_confirm_delete.html",
        {"scheme": scheme, "target": scheme, "children": []},
    )


@staff_required
@require_POST
def scheme_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    _act(
        request,
        lambda: services.scheme_publish(actor=actor, scheme=scheme),
        _("The scheme has been published. New rounds use this version."),
    )
    return redirect("scheme_detail", pk=scheme.pk)


@staff_required
@require_POST
def scheme_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    try:
        draft = services.scheme_new_version(actor=actor, scheme=scheme)
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        messages.error(request, str(error.message))
        return redirect("scheme_detail", pk=scheme.pk)
    messages.success(
        request,
        _("Version %(version)d has been started as a draft; the published version stays in use.")
        % {"version": draft.version},
    )
    return redirect("scheme_detail", pk=draft.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_clone(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    form = CloneForm(request.POST or None, initial={"name": scheme.name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        copy = call_service(
            form,
            lambda: services.scheme_clone(
                actor=actor,
                scheme=scheme,
                family=data["family"],
                name=data["name"],
                unit_class=data["unit_class"],
            ),
        )
        if copy is not None:
            messages.success(request, _("The copy has been created as a draft."))
            return redirect("scheme_detail", pk=copy.pk)
    return render(
        request,
        "evaluation/scheme_form.html",
        {"form": form, "title": _("Copy %(name)s") % {"name": scheme}, "back": scheme},
    )


@staff_required
@require_GET
def scheme_export(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _viewer(request)
    scheme = _scheme(actor, pk)
    response = HttpResponse(
        scheme_xlsx.scheme_export(scheme), content_type=scheme_xlsx.XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = (
        f'attachment; filename="scheme-{scheme.family}-v{scheme.version}.xlsx"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_import(request: HttpRequest) -> HttpResponse:
    actor, unit = _configurer(request)
    if request.method == "POST":
        form = SchemeImportForm(request.POST, request.FILES)
    else:
        form = SchemeImportForm(initial={"family": request.GET.get("family", "")[:50]})
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = call_service(
            form,
            lambda: scheme_xlsx.scheme_import(
                actor=actor,
                owner=unit,
                content=form.content,
                file_name=data["file"].name or "",
                family=data["family"],
                name=data["name"],
                unit_class=data["unit_class"],
            ),
        )
        if result is not None and result.ok and result.scheme is not None:
            messages.success(
                request,
                _("Version %(version)d of %(family)s has been imported as a draft.")
                % {"version": result.scheme.version, "family": result.scheme.family},
            )
            return redirect("scheme_detail", pk=result.scheme.pk)
    return render(
        request,
        "evaluation/scheme_import.html",
        {
            "form": form,
            "result": result,
            "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
            "columns": scheme_xlsx.COLUMNS,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_indicator_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    parent = None
    if request.GET.get("parent", "").isdigit():
        parent = _indicator(actor, scheme, int(request.GET["parent"]))
        if parent.parent_id is not None:
            raise Http404
    form: DimensionForm
    if parent is None:
        form = DimensionForm(request.POST or None, initial={"weight": 25})
    else:
        form = IndicatorForm(
            request.POST or None,
            initial={
                "weight": 25,
                "max_points": 10,
                "scored_by_self": True,
                "scored_by_superior": True,
            },
        )
    if request.method == "POST" and form.is_valid():
        added = call_service(
            form,
            lambda: services.indicator_add(
                actor=actor, scheme=scheme, parent=parent, data=form.to_data()
            ),
        )
        if added is not None:
            messages.success(request, _("%(name)s has been added.") % {"name": added.name})
            return redirect("scheme_detail", pk=scheme.pk)
    title = (
        _("Add a dimension")
        if parent is None
        else _("Add an indicator to %(name)s") % {"name": parent.name}
    )
    return render(
        request, "evaluation/scheme_form.html", {"form": form, "title": title, "back": scheme}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_indicator_edit(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    indicator = _indicator(actor, scheme, indicator_pk)
    initial = {
        "code": indicator.code,
        "name": indicator.name,
        "guidance": indicator.guidance,
        "weight": indicator.weight,
        "max_points": indicator.max_points,
        "rule": indicator.rule,
        "options": services.rule_options_text(indicator.rule, indicator.rule_options),
        "evidence_required": indicator.evidence_required,
        "scored_by_self": indicator.scored_by_self,
        "scored_by_superior": indicator.scored_by_superior,
    }
    form: DimensionForm
    if indicator.is_dimension:
        form = DimensionForm(request.POST or None, initial=initial)
    else:
        form = IndicatorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            lambda: services.indicator_update(
                actor=actor, indicator=indicator, data=form.to_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("%(name)s has been saved.") % {"name": saved.name})
            return redirect("scheme_detail", pk=scheme.pk)
    return render(
        request,
        "evaluation/scheme_form.html",
        {"form": form, "title": _("Edit %(name)s") % {"name": indicator}, "back": scheme},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scheme_indicator_delete(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    indicator = _indicator(actor, scheme, indicator_pk)
    if request.method == "POST":
        _act(
            request,
            lambda: services.indicator_delete(actor=actor, indicator=indicator),
            _("%(name)s has been removed.") % {"name": indicator.name},
        )
        return redirect("scheme_detail", pk=scheme.pk)
    return render(
        request,
        "evaluation/scheme_confirm_delete.html",
        {"scheme": scheme, "target": indicator, "children": list(indicator.children.all())},
    )


@staff_required
@require_POST
def scheme_indicator_move(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    actor, _unit = _configurer(request)
    scheme = _scheme(actor, pk)
    indicator = _indicator(actor, scheme, indicator_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose where to move it."))
        return redirect("scheme_detail", pk=scheme.pk)
    parent = None
    if form.cleaned_data["parent"] is not None:
        parent = _indicator(actor, scheme, form.cleaned_data["parent"])
    _act(
        request,
        lambda: services.indicator_move(
            actor=actor,
            indicator=indicator,
            direction=form.cleaned_data["direction"],
            parent=parent,
        ),
        _("%(name)s has been moved.") % {"name": indicator.name},
    )
    return redirect(f"{reverse('scheme_detail', args=[scheme.pk])}#row-{indicator.pk}")
