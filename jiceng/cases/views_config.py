"""Configuration pages: categories with their deadlines, and reply templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jiceng.cases import selectors, services
from jiceng.cases.forms import CategoryForm, ResponseTemplateForm
from jiceng.cases.models import Category, ResponseTemplate
from jiceng.core.actors import Actor
from jiceng.core.forms import call_service
from jiceng.core.permissions import access_object, can
from jiceng.orgs.roles import Capability
from jiceng.orgs.views import capability_required, staff_required


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@staff_required
def category_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not (
        actor.has_capability(Capability.CASE_HANDLE)
        or actor.has_capability(Capability.CASE_CONFIGURE)
    ):
        raise PermissionDenied
    groups = (
        Category.objects.filter(parent=None)
        .prefetch_related("children")
        .order_by("position", "code")
    )
    return render(
        request,
        "cases/category_list.html",
        {"groups": groups, "can_edit": can(actor, "edit", Category)},
    )


@capability_required(Capability.CASE_CONFIGURE)
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _actor(request)
    if not can(actor, "edit", Category):
        raise PermissionDenied
    category = access_object(actor, Category, pk=pk) if pk is not None else None
    parent = None
    if category is None and request.GET.get("parent", "").isdigit():
        parent = Category.objects.filter(pk=int(request.GET["parent"]), parent=None).first()
    initial: dict[str, Any] = {
        "respond_hours": 8,
        "resolve_days": 5,
        "urgent_respond_hours": 2,
        "urgent_resolve_days": 1,
        "position": 0,
        "is_active": True,
    }
    if parent is not None:
        initial.update(responsible_level=parent.responsible_level)
    if category is not None:
        initial = {name: getattr(category, name) for name in services.CATEGORY_FIELDS}
    form = CategoryForm(request.POST or None, initial=initial, editing=category is not None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("code", category.code if category else "")
        saved = call_service(
            form,
            lambda: services.category_save(
                actor=actor, category=category, parent=parent, code=code, **data
            ),
        )
        if saved is not None:
            messages.success(
                request, _("The category has been saved. New requests use it at once.")
            )
            return redirect("case_categories")
    return render(
        request, "cases/category_form.html", {"form": form, "category": category, "parent": parent}
    )


@capability_required(Capability.CASE_HANDLE)
def template_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    templates = selectors.response_templates_all(actor)
    return render(
        request,
        "cases/template_list.html",
        {"templates": templates, "can_add": can(actor, "edit", ResponseTemplate)},
    )


@capability_required(Capability.CASE_DISPATCH)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _actor(request)
    template = access_object(actor, ResponseTemplate, action="edit", pk=pk) if pk else None
    initial = (
        {
            "title": template.title,
            "body": template.body,
            "category": template.category,
            "is_active": template.is_active,
        }
        if template
        else {"is_active": True}
    )
    form = ResponseTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call_service(
            form,
            lambda: services.response_template_save(
                actor=actor,
                template=template,
                title=data["title"],
                body=data["body"],
                category=data["category"],
                is_active=data["is_active"],
            ),
        )
        if saved is not None:
            messages.success(request, _("The template has been saved."))
            return redirect("case_templates")
    return render(request, "cases/template_form.html", {"form": form, "template": template})
