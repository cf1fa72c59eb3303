"""Staff pages: sign-in, home, unit tree, people and memberships. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.cases.selectors import home_summary
from jiceng.core import devices
from jiceng.core.actors import Actor
from jiceng.core.calendar import get_calendar
from jiceng.core.forms import call_service
from jiceng.core.models import AuditEntry
from jiceng.core.pagination import paginate
from jiceng.core.permissions import can, visible
from jiceng.orgs import selectors, services
from jiceng.orgs.forms import (
    LoginForm,
    MembershipForm,
    PasswordResetForm,
    ReasonForm,
    SwitchActingForm,
    UnitCreateForm,
    UnitForm,
    UnitSearchForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from jiceng.orgs.middleware import ACTING_SESSION_KEY
from jiceng.orgs.models import OrgUnit, User
from jiceng.orgs.roles import ROLE_DUTIES, Capability

View = Callable[..., HttpResponseBase]


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def staff_required(view: View) -> View:
    """Signed in and holding at least one active membership."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _actor(request).membership is None:
            return render(request, "orgs/no_membership.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def capability_required(capability: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @staff_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not _actor(request).has_capability(capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 60 * 60,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )


def _flash_errors(request: HttpRequest, form: Any) -> None:
    """Errors of a small form posted from a detail page, shown there as messages."""
    for field_errors in form.errors.values():
        for message in field_errors:
            messages.error(request, str(message))


# --- accounts -------------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        # Every device that signs in keeps a device cookie; receivers of user_logged_in read
        # it from the request (the evaluation's open links recognise staff devices with it).
        device, new = devices.device_id(self.request)
        response = super().form_valid(form)
        _set_language_cookie(response, form.get_user().preferred_language)
        if new:
            devices.remember_device(self.request, response, device)
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("staff_home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in person's choice is also kept as their preference."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    actor = _actor(request)
    if actor.user is not None and language in dict(settings.LANGUAGES):
        services.user_set_language(actor=actor, language=language)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {
        "display_name": user.display_name,
        "phone": user.phone or "",
        "email": user.email,
        "preferred_language": user.preferred_language,
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        updated = call_service(
            form,
            lambda: services.user_update(
                actor=_actor(request),
                user=user,
                display_name=data["display_name"],
                phone=data["phone"],
                email=data["email"],
                preferred_language=data["preferred_language"],
            ),
        )
        if updated is not None:
            messages.success(request, _("Your profile has been saved."))
            response = redirect("profile")
            _set_language_cookie(response, updated.preferred_language)
            return response
    return render(request, "orgs/profile.html", {"form": form})


# --- home and acting unit -------------------------------------------------------------------
@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    assert actor.unit is not None
    unit_counts = dict(
        selectors.units_visible(actor)
        .exclude(pk=actor.unit.pk)
        .order_by()
        .values_list("kind")
        .annotate(count=Count("pk"))
        .values_list("kind", "count")
    )
    context = {
        "unit": actor.unit,
        "unit_counts": unit_counts,
        "colleagues": selectors.unit_members(actor, actor.unit)[:12],
        "can_browse": actor.has_capability(Capability.BROWSE_UNITS),
        "can_manage_users": actor.has_capability(Capability.MANAGE_USERS),
        "can_use_admin": actor.has_capability(Capability.USE_ADMIN_SITE),
        "calendar_warning": _calendar_warning(actor),
        "duties": ROLE_DUTIES.get(actor.role or "", ()),
        "cases": home_summary(actor),
    }
    return render(request, "orgs/staff_home.html", context)


def _calendar_warning(actor: Actor) -> str:
    """Tell calendar managers when an official schedule that deadlines need is not known."""
    if not actor.has_capability(Capability.MANAGE_CALENDAR):
        return ""
    missing = get_calendar().years_missing(timezone.localdate())
    if not missing:
        return ""
    return _(
        "The official holidays of %(year)d are not known to the system yet: deadlines in "
        "%(year)d count Monday to Friday only. Enter the State Council's schedule as calendar "
        "corrections."
    ) % {"year": missing[0]}


@staff_required
@require_POST
def switch_acting(request: HttpRequest) -> HttpResponse:
    form = SwitchActingForm(request.POST)
    user: User = request.user  # type: ignore[assignment]
    if form.is_valid():
        chosen = selectors.memberships_of(user).filter(pk=form.cleaned_data["membership"]).first()
        if chosen is not None:
            request.session[ACTING_SESSION_KEY] = chosen.pk
            messages.success(
                request,
                _("You are now acting as %(role)s of %(unit)s.")
                % {"role": chosen.get_role_display(), "unit": chosen.unit.name},
            )
            return redirect("staff_home")
    messages.error(request, _("Choose one of your own roles."))
    return redirect("staff_home")


# --- units ----------------------------------------------------------------------------------
@capability_required(Capability.BROWSE_UNITS)
def unit_tree(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    assert actor.unit is not None
    search = UnitSearchForm(request.GET or None)
    results = None
    if search.is_valid() and (search.cleaned_data["q"] or search.cleaned_data["kind"]):
        results = paginate(
            request,
            selectors.unit_search(
                actor, query=search.cleaned_data["q"], kind=search.cleaned_data["kind"]
            ),
        )
    root = selectors.units_visible(actor).get(pk=actor.unit.pk)
    context = {
        "root": root,
        "children": selectors.unit_children(actor, root)[:200],
        "search": search,
        "results": results,
    }
    return render(request, "orgs/unit_tree.html", context)


@capability_required(Capability.BROWSE_UNITS)
def unit_children_partial(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    unit = selectors.unit_get(actor, code=code)
    return render(
        request,
        "orgs/_unit_children.html",
        {"children": selectors.unit_children(actor, unit)[:200], "parent": unit},
    )


@staff_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    unit = selectors.unit_get(actor, code=code)
    children = paginate(request, selectors.unit_children(actor, unit), page_size=50)
    context = {
        "unit": unit,
        "breadcrumbs": selectors.unit_ancestors_visible(actor, unit),
        "children": children,
        "members": selectors.unit_members(actor, unit),
        "can_edit": can(actor, "edit", OrgUnit, unit),
        "can_add_child": can(actor, "add_child", OrgUnit, unit) and unit.kind != "grid",
        "can_manage_users": actor.has_capability(Capability.MANAGE_USERS),
    }
    return render(request, "orgs/unit_detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    unit = selectors.unit_get(actor, code=code, action="edit")
    initial = {
        "name": unit.name,
        "population": unit.population,
        "address": unit.address,
        "phone": unit.phone,
        "is_active": unit.is_active,
    }
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        updated = call_service(form, lambda: services.unit_update(actor=actor, unit=unit, **data))
        if updated is not None:
            messages.success(request, _("The unit has been saved."))
            return redirect("unit_detail", code=unit.code)
    return render(request, "orgs/unit_form.html", {"form": form, "unit": unit, "parent": None})


@staff_required
@require_http_methods(["GET", "POST"])
def unit_add_child(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    parent = selectors.unit_get(actor, code=code, action="add_child")
    form = UnitCreateForm(request.POST or None, parent=parent, initial={"population": 0})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = call_service(
            form, lambda: services.unit_create(actor=actor, parent=parent, **data)
        )
        if created is not None:
            messages.success(
                request, _("The unit %(name)s has been added.") % {"name": created.name}
            )
            return redirect("unit_detail", code=created.code)
    return render(request, "orgs/unit_form.html", {"form": form, "unit": None, "parent": parent})


# --- people ---------------------------------------------------------------------------------
@capability_required(Capability.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    search = UserSearchForm(request.GET or None)
    query = role = ""
    if search.is_valid():
        query, role = search.cleaned_data["q"], search.cleaned_data["role"]
    users = paginate(request, selectors.users_visible(actor, query=query, role=role))
    memberships = selectors.memberships_by_user(actor, [user.pk for user in users])
    rows = [(user, memberships.get(user.pk, [])) for user in users]
    return render(request, "orgs/user_list.html", {"page": users, "rows": rows, "search": search})


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    initial = {"preferred_language": "zh-hans", "unit": request.GET.get("unit", "")}
    form = UserCreateForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = call_service(
            form,
            lambda: services.user_create(
                actor=actor,
                username=data["username"],
                display_name=data["display_name"],
                password=data["password1"],
                unit=data["unit"],
                role=data["role"],
                title=data["title"],
                phone=data["phone"],
                email=data["email"],
                preferred_language=data["preferred_language"],
            ),
        )
        if created is not None:
            messages.success(
                request, _("The account %(name)s has been created.") % {"name": created}
            )
            return redirect("user_detail", pk=created.pk)
    return render(request, "orgs/user_form.html", {"form": form, "person": None})


@capability_required(Capability.MANAGE_USERS)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = selectors.user_get(actor, pk=pk)
    context = {
        "person": person,
        "memberships": selectors.memberships_of_user_visible(actor, person),
        "membership_form": MembershipForm(actor=actor),
        "reason_form": ReasonForm(),
        "password_form": PasswordResetForm(),
        "can_edit": can(actor, "edit", User, person),
        "can_toggle": can(actor, "deactivate" if person.is_active else "activate", User, person),
        "can_reset_password": can(actor, "reset_password", User, person),
        "history": selectors.user_history(actor, person)[:20],
    }
    return render(request, "orgs/user_detail.html", context)


@capability_required(Capability.MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = selectors.user_get(actor, pk=pk, action="edit")
    initial = {
        "display_name": person.display_name,
        "phone": person.phone or "",
        "email": person.email,
        "preferred_language": person.preferred_language,
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        updated = call_service(form, lambda: services.user_update(actor=actor, user=person, **data))
        if updated is not None:
            messages.success(request, _("The account has been saved."))
            return redirect("user_detail", pk=person.pk)
    return render(request, "orgs/user_form.html", {"form": form, "person": person})


@capability_required(Capability.MANAGE_USERS)
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = selectors.user_get(actor, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        services.user_set_active(
            actor=actor,
            user=person,
            is_active=not person.is_active,
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request,
            _("The account has been reactivated.")
            if person.is_active
            else _("The account has been deactivated."),
        )
    else:
        messages.error(request, _("Give a reason."))
    return redirect("user_detail", pk=person.pk)


@capability_required(Capability.MANAGE_USERS)
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = selectors.user_get(actor, pk=pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        done = call_service(
            form,
            lambda: services.user_reset_password(
                actor=actor, user=person, password=form.cleaned_data["password1"]
            ),
        )
        if done is not None:
            messages.success(request, _("The password has been set. Tell the person in person."))
            return redirect("user_detail", pk=person.pk)
    _flash_errors(request, form)
    return redirect("user_detail", pk=person.pk)


@capability_required(Capability.MANAGE_USERS)
@require_POST
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    person = selectors.user_get(actor, pk=pk, action="edit")
    form = MembershipForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        granted = call_service(
            form,
            lambda: services.membership_grant(
                actor=actor, user=person, unit=data["unit"], role=data["role"], title=data["title"]
            ),
        )
        if granted is not None:
            messages.success(request, _("The role has been granted."))
            return redirect("user_detail", pk=person.pk)
    _flash_errors(request, form)
    return redirect("user_detail", pk=person.pk)


@capability_required(Capability.MANAGE_USERS)
@require_POST
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    membership = selectors.membership_get(actor, pk=pk, action="end")
    form = ReasonForm(request.POST)
    if form.is_valid():
        services.membership_end(
            actor=actor, membership=membership, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The role has ended."))
    else:
        messages.error(request, _("Give a reason."))
    return HttpResponseRedirect(reverse("user_detail", args=[membership.user_id]))


@capability_required(Capability.MANAGE_USERS)
def audit_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    entries = visible(actor, AuditEntry).select_related("actor_user", "actor_unit").order_by("-seq")
    action = request.GET.get("action", "")[:100]
    if action:
        entries = entries.filter(action__startswith=action)
    return render(
        request,
        "orgs/audit_list.html",
        {"page": paginate(request, entries, page_size=50), "action": action},
    )
