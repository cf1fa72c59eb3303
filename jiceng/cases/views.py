"""Pages for requests: the resident's form and tracking page, and the staff's work on cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.cases import selectors, services
from jiceng.cases.forms import (
    DecisionForm,
    FeedbackForm,
    MergeForm,
    NoteForm,
    ReasonForm,
    ReplyForm,
    ReportForm,
    StaffEntryForm,
    TrackForm,
    UnitChoiceForm,
)
from jiceng.cases.models import Attachment, Case, Channel, Status
from jiceng.cases.workflow import Action
from jiceng.core import ratelimit
from jiceng.core.actors import RESIDENT, Actor
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability
from jiceng.orgs.selectors import units_visible
from jiceng.orgs.views import staff_required
from jiceng.support.care_selectors import care_overdue_for

SUBMITTED_COOKIE = "submitted_case"
SUBMITTED_COOKIE_SECONDS = 8 * 3600
TRACK_LOOKUPS_PER_WINDOW = 30
TRACK_WINDOW_SECONDS = 10 * 60


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


# --- residents ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The resident's request form: no account, a tracking code at the end."""
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        ratelimit.check(
            "case-report",
            ratelimit.client_ip(request),
            limit=settings.CASE_SUBMISSIONS_PER_HOUR,
            window_seconds=3600,
        )
        if form.is_valid():
            data = form.cleaned_data
            case = call_service(
                form,
                lambda: services.case_submit(
                    actor=_actor(request),
                    category=data["category"],
                    area=data["area"],
                    title=data["title"],
                    description=data["description"],
                    address=data["address"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    is_anonymous=data["is_anonymous"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    reporter_email=data["reporter_email"],
                    # Later e-mails to the resident speak the language they wrote in.
                    reporter_language=translation.get_language() or "",
                    photos=data["photos"],
                    channel=Channel.WEB,
                ),
            )
            if case is not None:
                # A signed cookie, not a session row: one write fewer for every resident.
                response = redirect("case_report_done")
                response.set_signed_cookie(
                    SUBMITTED_COOKIE,
                    case.tracking_code,
                    salt=SUBMITTED_COOKIE,
                    max_age=SUBMITTED_COOKIE_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
                return response
    return render(request, "cases/report_form.html", {"form": form})


@never_cache
def report_done(request: HttpRequest) -> HttpResponse:
    code = request.get_signed_cookie(
        SUBMITTED_COOKIE, default=None, salt=SUBMITTED_COOKIE, max_age=SUBMITTED_COOKIE_SECONDS
    )
    if not code:
        return redirect("case_report")
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404
    return render(request, "cases/report_done.html", {"case": case})


def _check_lookup_rate(request: HttpRequest) -> None:
    ratelimit.check(
        "case-track",
        ratelimit.client_ip(request),
        limit=TRACK_LOOKUPS_PER_WINDOW,
        window_seconds=TRACK_WINDOW_SECONDS,
    )


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _check_lookup_rate(request)
        case = selectors.case_by_tracking_code(form.cleaned_data["code"])
        if case is not None:
            return redirect("case_track_detail", code=case.tracking_code)
        form.add_error("code", _("No request has this tracking code. Check it and try again."))
    return render(request, "cases/track_lookup.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    """What the resident may see of their request, and the feedback form once it is resolved."""
    _check_lookup_rate(request)
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            lambda: services.case_feedback(
                case=case,
                actor=RESIDENT,
                solved=data["solved"],
                satisfaction=data["satisfaction"],
                comment=data["comment"],
            ),
        )
        if done is not None:
            messages.success(request, _("Thank you. Your answer has been recorded."))
            return redirect("case_track_detail", code=case.tracking_code)
    context = {
        "case": case,
        "events": selectors.timeline(case, public_only=True),
        "replies": case.replies.order_by("created_at"),
        "form": form if case.status == Status.RESOLVED else None,
        # A merged request is answered on the one it was merged into: its resident sees there.
        "surviving_replies": (
            case.merged_into.replies.filter(is_resolution=True).select_related("unit")
            if case.merged_into
            else None
        ),
    }
    return render(request, "cases/track_detail.html", context)


# --- staff ----------------------------------------------------------------------------------
def _case_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff who handle or supervise requests."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        actor = _actor(request)
        if not (
            actor.has_capability(Capability.CASE_HANDLE)
            or actor.has_capability(Capability.CASE_SUPERVISE)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_case_staff
def worklist(request: HttpRequest) -> HttpResponse:
    """My worklist: open requests held by my unit, overdue first."""
    actor = _actor(request)
    page = paginate(request, selectors.worklist(actor))
    context = {"page": page, "care_overdue": care_overdue_for(actor)}
    return render(request, "cases/worklist.html", context)


@_case_staff
def queue(request: HttpRequest) -> HttpResponse:
    """Every request in my unit's subtree, with filters and export."""
    from jiceng.cases.forms_transfer import CaseFilterForm

    actor = _actor(request)
    form = CaseFilterForm(request.GET or None, actor=actor)
    filters = form.filters()
    queryset = selectors.listed(selectors.unit_queue(actor, filters))
    page = paginate(request, queryset, keyset="submitted_at" if filters.newest_first else None)
    return render(
        request,
        "cases/queue.html",
        {"page": page, "form": form, "export_query": request.GET.urlencode()},
    )


@_case_staff
@require_http_methods(["GET", "POST"])
def staff_entry(request: HttpRequest) -> HttpResponse:
    """A request taken by phone or at the counter."""
    actor = _actor(request)
    if not actor.has_capability(Capability.CASE_HANDLE):
        raise PermissionDenied
    units = units_visible(actor)
    form = StaffEntryForm(request.POST or None, request.FILES or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = call_service(
            form,
            lambda: services.case_submit(
                actor=actor,
                category=data["category"],
                area=data["area"],
                title=data["title"],
                description=data["description"],
                address=data["address"],
                priority=data["priority"],
                is_anonymous=data["is_anonymous"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                # No reporter_language: the staff's says nothing of the caller's, so e-mails to
                # the caller speak the site's.
                reporter_email=data["reporter_email"],
                photos=data["photos"],
                channel=data["channel"],
            ),
        )
        if case is not None:
            messages.success(
                request,
                _("Request %(code)s has been entered. Give the caller this tracking code.")
                % {"code": case.tracking_code},
            )
            return redirect("case_detail", pk=case.pk)
    return render(request, "cases/staff_entry.html", {"form": form})


def _action_forms(actor: Actor, case: Case) -> dict[str, Any]:
    """The forms for what this actor may do with this case now."""
    actions = services.available_actions(actor, case)
    forms: dict[str, Any] = {}
    holder_subtree = OrgUnit.objects.filter(
        path__startswith=case.current_unit.path, is_active=True
    ).order_by("path")
    for action in actions:
        if action is Action.DISPATCH:
            forms[action] = UnitChoiceForm(units=holder_subtree, prefix=action)
        elif action is Action.TRANSFER:
            forms[action] = UnitChoiceForm(
                units=services.transfer_targets(case), reason_required=True, prefix=action
            )
        elif action in (Action.APPROVE_TRANSFER,):
            forms["decide_transfer"] = DecisionForm(prefix="decide_transfer")
        elif action is Action.DENY_TRANSFER:
            continue
        elif action is Action.RESOLVE:
            forms[action] = ReplyForm(prefix=action)
        elif action in (Action.CONFIRM,):
            forms["feedback"] = FeedbackForm(prefix="feedback")
        elif action is Action.REOPEN:
            continue
        elif action is Action.MERGE:
            forms[action] = MergeForm(prefix=action)
        elif action in (Action.RETURN, Action.REJECT):
            forms[action] = ReasonForm(prefix=action)
        else:
            forms[action] = NoteForm(prefix=action)
    if case.is_open and Action.RESOLVE in actions:
        forms["reply"] = ReplyForm(prefix="reply")
    return forms


@_case_staff
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    case = selectors.case_get(actor, pk=pk)
    context = {
        "case": case,
        "events": selectors.timeline(case),
        "replies": case.replies.select_related("author", "unit", "quality")
        .defer("quality__fingerprint", "quality__request_fingerprint")
        .order_by("created_at"),
        "feedback": case.feedback.order_by("round"),
        "escalations": case.escalations.select_related("to_unit").order_by("created_at"),
        "attachments": case.attachments.all(),
        "duplicates": case.duplicates.only("pk", "tracking_code", "title"),
        "action_forms": _action_forms(actor, case),
        "templates": selectors.response_templates(actor, case),
        "show_reporter": not case.is_anonymous,
    }
    return render(request, "cases/detail.html", context)


@_case_staff
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One endpoint for every action button: parse its form, call its service."""
    actor = _actor(request)
    case = selectors.case_get(actor, pk=pk)
    forms = _action_forms(actor, case)
    form = forms.get(action)
    if form is None:
        messages.error(request, _("This action is not available for this request any more."))
        return redirect("case_detail", pk=case.pk)
    bound = form.__class__(request.POST, prefix=action, **_form_kwargs(form))
    if not bound.is_valid():
        for errors in bound.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("case_detail", pk=case.pk)
    data = bound.cleaned_data
    note = data.get("note", "")
    call: dict[str, Callable[[], Any]] = {
        Action.ACCEPT: lambda: services.case_accept(case=case, actor=actor, note=note),
        Action.REJECT: lambda: services.case_reject(case=case, actor=actor, note=note),
        Action.MERGE: lambda: services.case_merge(
            case=case, actor=actor, into=_merge_target(actor, data["into"]), note=note
        ),
        Action.DISPATCH: lambda: services.case_dispatch(
            case=case, actor=actor, to_unit=data["to_unit"], note=note
        ),
        Action.START: lambda: services.case_start(case=case, actor=actor, note=note),
        Action.RETURN: lambda: services.case_return(case=case, actor=actor, note=note),
        Action.TRANSFER: lambda: services.case_transfer(
            case=case, actor=actor, to_unit=data["to_unit"], note=note
        ),
        "decide_transfer": lambda: services.case_decide_transfer(
            case=case, actor=actor, approve=data["approve"], note=note
        ),
        Action.RESOLVE: lambda: services.case_resolve(case=case, actor=actor, body=data["body"]),
        "reply": lambda: services.case_reply(case=case, actor=actor, body=data["body"]),
        "feedback": lambda: services.case_feedback(
            case=case,
            actor=actor,
            solved=data["solved"],
            satisfaction=data["satisfaction"],
            comment=data["comment"],
        ),
    }
    call[action]()
    messages.success(request, _("Done."))
    return redirect("case_detail", pk=case.pk)


def _form_kwargs(form: Any) -> dict[str, Any]:
    if isinstance(form, UnitChoiceForm):
        field = form.fields["to_unit"]
        return {"units": field.queryset, "reason_required": form.fields["note"].required}  # type: ignore[attr-defined]
    return {}


def _merge_target(actor: Actor, code: str) -> Case:
    target = (
        selectors.cases_visible(actor)
        .filter(tracking_code=services.normalise_tracking_code(code))
        .first()
    )
    if target is None:
        from jiceng.core.errors import DomainError

        raise DomainError(_("No request you can see has this tracking code."), field="into")
    return target


@_case_staff
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A photo of a request, for staff who may see the request."""
    case = selectors.case_get(_actor(request), pk=pk)
    try:
        photo = case.attachments.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        services.notifications_mark_read(actor=actor)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("notifications")
    page = paginate(request, selectors.notifications_for(actor), page_size=30)
    return render(request, "cases/notifications.html", {"page": page})
