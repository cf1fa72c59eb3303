"""Pages of the residents' assessment: the builder, distribution and response rates (staff, from
above the unit), and the answering pages residents reach by QR code without an account."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.core import devices, ratelimit
from jiceng.core.actors import Actor
from jiceng.core.errors import Conflict, DomainError, NotFound, RateLimited
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.evaluation import survey_selectors as selectors
from jiceng.evaluation import survey_services as services
from jiceng.evaluation.models import OpenLink, Question, QuestionKind, Round, Survey
from jiceng.evaluation.permissions import configures, oversees, takes_part
from jiceng.evaluation.survey_forms import (
    HouseholdsForm,
    OpenLinkForm,
    QuestionForm,
    SurveyForm,
    TokenBatchForm,
    VoidForm,
    answers_from_post,
)
from jiceng.orgs.views import staff_required

# Failed token lookups per address: honest residents mistype now and then; guessers never stop.
TOKEN_MISSES_PER_WINDOW = 20
TOKEN_WINDOW_SECONDS = 10 * 60
RATES_PAGE_SIZE = 50

LEVEL_LABELS = {
    5: gettext_lazy("Very satisfied"),
    4: gettext_lazy("Satisfied"),
    3: gettext_lazy("Neutral"),
    2: gettext_lazy("Dissatisfied"),
    1: gettext_lazy("Very dissatisfied"),
}


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _survey_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff taking part in evaluation; finer checks are the selectors' and services' own."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not takes_part(_actor(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _overseer(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff who see, from above, the units below them."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not oversees(_actor(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- the builder ----------------------------------------------------------------------------
@_survey_staff
def survey_rounds(request: HttpRequest) -> HttpResponse:
    """Rounds and their questionnaires."""
    actor = _actor(request)
    page = paginate(request, selectors.survey_rounds(actor))
    context = {"page": page, "can_oversee": oversees(actor)}
    return render(request, "evaluation/survey_rounds.html", context)


def _builder_context(request: HttpRequest, round_: Round) -> dict[str, Any]:
    actor = _actor(request)
    survey = selectors.survey_of(round_)
    questions = selectors.survey_questions(survey) if survey is not None else []
    return {
        "round": round_,
        "survey": survey,
        "questions": [_describe(question) for question in questions],
        "can_edit": configures(actor) and round_.state in services.EDITABLE_STATES,
        "can_oversee": oversees(actor),
        "survey_form": SurveyForm(
            initial={"title": survey.title, "introduction": survey.introduction}
        )
        if survey is not None
        else None,
    }


@_survey_staff
def survey_builder(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = selectors.round_for_survey(_actor(request), round_id)
    return render(request, "evaluation/survey_builder.html", _builder_context(request, round_))


@_survey_staff
@require_POST
def survey_create_default(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = selectors.round_for_survey(_actor(request), round_id)
    services.survey_create_default(round_=round_, actor=_actor(request))
    messages.success(request, _("The default questionnaire is ready. Adjust it as you need."))
    return redirect("survey_builder", round_id=round_.pk)


@_survey_staff
@require_POST
def survey_settings(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = selectors.round_for_survey(_actor(request), round_id)
    survey = _require_survey(round_)
    form = SurveyForm(request.POST)
    if form.is_valid():
        done = call_service(
            form,
            lambda: services.survey_update(
                survey=survey,
                actor=_actor(request),
                title=form.cleaned_data["title"],
                introduction=form.cleaned_data["introduction"],
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("survey_builder", round_id=round_.pk)
    context = _builder_context(request, round_) | {"survey_form": form}
    return render(request, "evaluation/survey_builder.html", context, status=400)


def _require_survey(round_: Round) -> Survey:
    survey = selectors.survey_of(round_)
    if survey is None:
        raise NotFound(_("This round has no questionnaire yet."))
    return survey


@_survey_staff
@require_http_methods(["GET", "POST"])
def survey_question_add(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = selectors.round_for_survey(_actor(request), round_id)
    survey = _require_survey(round_)
    earlier = selectors.survey_questions(survey)
    form = QuestionForm(request.POST or None, earlier=earlier, initial={"required": True})
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: services.question_add(survey=survey, actor=_actor(request), spec=form.spec()),
        )
        if done is not None:
            messages.success(request, _("The question has been added."))
            return redirect("survey_builder", round_id=round_.pk)
    return render(request, "evaluation/survey_question_form.html", {"round": round_, "form": form})


@_survey_staff
@require_http_methods(["GET", "POST"])
def survey_question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_for_edit(_actor(request), pk)
    round_ = question.survey.round
    earlier = [
        item
        for item in selectors.survey_questions(question.survey)
        if item.position < question.position
    ]
    form = QuestionForm(
        request.POST or None, earlier=earlier, initial=QuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: services.question_update(
                question=question, actor=_actor(request), spec=form.spec()
            ),
        )
        if done is not None:
            messages.success(request, _("The question has been saved."))
            return redirect("survey_builder", round_id=round_.pk)
    return render(
        request,
        "evaluation/survey_question_form.html",
        {"round": round_, "form": form, "question": question},
    )


@_survey_staff
@require_POST
def survey_question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_for_edit(_actor(request), pk)
    round_id = question.survey.round_id
    services.question_delete(question=question, actor=_actor(request))
    messages.success(request, _("The question has been deleted."))
    return redirect("survey_builder", round_id=round_id)


@_survey_staff
@require_POST
def survey_question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = selectors.question_for_edit(_actor(request), pk)
    services.question_move(
        question=question, actor=_actor(request), up=request.POST.get("direction") == "up"
    )
    return redirect(f"{reverse('survey_builder', args=[question.survey.round_id])}#q{pk}")


# --- distribution and response rates --------------------------------------------------------
@_overseer
def survey_response_rates(request: HttpRequest, round_id: int) -> HttpResponse:
    """Response figures per unit below the actor, one query per page."""
    round_ = selectors.round_for_survey(_actor(request), round_id)
    page = paginate(
        request, selectors.response_rates(_actor(request), round_), page_size=RATES_PAGE_SIZE
    )
    rows = [
        {
            "unit": item,
            "response_rate": selectors.rate(item.answered, item.households),
            "token_rate": selectors.rate(item.tokens_used, item.tokens_issued),
        }
        for item in page
    ]
    return render(
        request,
        "evaluation/survey_rates.html",
        {"round": round_, "page": page, "rows": rows},
    )


def _unit_context(request: HttpRequest, round_unit: Any, **forms: Any) -> dict[str, Any]:
    actor = _actor(request)
    return {
        "round_unit": round_unit,
        "round": round_unit.round,
        "batches": paginate(request, selectors.token_batches(actor, round_unit), page_size=20),
        "links": list(selectors.open_links(actor, round_unit)[:50]),
        "batch_form": forms.get("batch_form") or TokenBatchForm(),
        "link_form": forms.get("link_form") or OpenLinkForm(),
        "households_form": forms.get("households_form")
        or HouseholdsForm(initial={"households": round_unit.households}),
        "void_form": VoidForm(),
        "comments_url": reverse("survey_free_text", args=[round_unit.pk]),
    }


@_overseer
def survey_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit's distribution: token batches, open links, the households it aims at."""
    round_unit = selectors.round_unit_overseen(_actor(request), pk)
    return render(request, "evaluation/survey_unit.html", _unit_context(request, round_unit))


@_overseer
@require_POST
def survey_households(request: HttpRequest, pk: int) -> HttpResponse:
    round_unit = selectors.round_unit_overseen(_actor(request), pk)
    form = HouseholdsForm(request.POST)
    if form.is_valid():
        done = call_service(
            form,
            lambda: services.round_unit_households_set(
                round_unit=round_unit,
                actor=_actor(request),
                households=form.cleaned_data["households"],
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("survey_unit", pk=round_unit.pk)
    context = _unit_context(request, round_unit, households_form=form)
    return render(request, "evaluation/survey_unit.html", context, status=400)


def _qr_svg(url: str, scale: int) -> SafeString:
    # A fixed mask skips scoring all eight, three quarters of segno's time for a sheet of
    # 2,000 codes. Every mask is valid and scans; scoring only avoids awkward patterns, which
    # a printed code with 1 mm modules can live with.
    code = segno.make_qr(url, error="m", mask=0)
    # No fixed size: the sheet's and poster's CSS size the code in millimetres.
    svg = code.svg_inline(scale=scale, border=2, omitsize=True)
    return mark_safe(svg)  # noqa: S308  (segno's own markup; the URL is ours and escaped by it)


@dataclass
class SheetItem:
    code: str
    url: str
    qr: SafeString


@_overseer
@never_cache
@require_POST
def survey_token_batch_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Creates a batch and answers with its printable sheet: the only time the tokens exist."""
    round_unit = selectors.round_unit_overseen(_actor(request), pk)
    form = TokenBatchForm(request.POST)
    made = None
    if form.is_valid():
        made = call_service(
            form,
            lambda: services.token_batch_create(
                round_unit=round_unit,
                actor=_actor(request),
                count=form.cleaned_data["count"],
                label=form.cleaned_data["label"],
            ),
        )
    if made is None:
        context = _unit_context(request, round_unit, batch_form=form)
        return render(request, "evaluation/survey_unit.html", context, status=400)
    batch, tokens = made
    items = []
    for token in tokens:
        url = request.build_absolute_uri(reverse("survey_answer_token", args=[token]))
        items.append(SheetItem(code=token, url=url, qr=_qr_svg(url, scale=3)))
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow([_("Code"), _("Link")])
    writer.writerows([item.code, item.url] for item in items)
    response = render(
        request,
        "evaluation/survey_token_sheet.html",
        {
            "round_unit": round_unit,
            "batch": batch,
            "items": items,
            "csv_href": "data:text/csv;charset=utf-8," + quote("\ufeff" + table.getvalue()),
            "csv_name": f"tokens-{round_unit.unit.code}-{batch.pk}.csv",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@_overseer
@require_POST
def survey_token_batch_void(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.token_batch_overseen(_actor(request), pk)
    form = VoidForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.token_batch_void(batch=batch, actor=_actor(request), reason=reason)
    messages.success(request, _("The batch is void: its unused tokens no longer work."))
    return redirect("survey_unit", pk=batch.round_unit_id)


@_overseer
@require_POST
def survey_open_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    round_unit = selectors.round_unit_overseen(_actor(request), pk)
    form = OpenLinkForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        link = call_service(
            form,
            lambda: services.open_link_create(
                round_unit=round_unit,
                actor=_actor(request),
                place=data["place"],
                per_device=data["per_device"],
                per_address_per_day=data["per_address_per_day"],
            ),
        )
        if link is not None:
            return redirect("survey_open_link_poster", pk=link.pk)
    context = _unit_context(request, round_unit, link_form=form)
    return render(request, "evaluation/survey_unit.html", context, status=400)


@_overseer
def survey_open_link_poster(request: HttpRequest, pk: int) -> HttpResponse:
    link = selectors.open_link_overseen(_actor(request), pk)
    url = request.build_absolute_uri(reverse("survey_answer_open", args=[link.slug]))
    survey = selectors.survey_of(link.round_unit.round)
    return render(
        request,
        "evaluation/survey_poster.html",
        {"link": link, "url": url, "qr": _qr_svg(url, scale=10), "survey": survey},
    )


@_overseer
@require_POST
def survey_open_link_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    link = selectors.open_link_overseen(_actor(request), pk)
    services.open_link_deactivate(link=link, actor=_actor(request))
    messages.success(request, _("The link is switched off."))
    return redirect("survey_unit", pk=link.round_unit_id)


@_overseer
def survey_free_text(request: HttpRequest, pk: int) -> HttpResponse:
    """What residents wrote about a unit; seen only from above it."""
    round_unit = selectors.round_unit_overseen(_actor(request), pk)
    page = paginate(request, selectors.text_answers(_actor(request), round_unit), page_size=30)
    return render(
        request,
        "evaluation/survey_free_text.html",
        {"round_unit": round_unit, "round": round_unit.round, "page": page},
    )


# --- residents ------------------------------------------------------------------------------
@dataclass
class Choice:
    value: int
    label: Any
    checked: bool


@dataclass
class Shown:
    """A question as the answering page shows it, with what the resident chose so far."""

    question: Question
    choices: list[Choice] = field(default_factory=list)
    rows: list[tuple[int, str, list[Choice]]] = field(default_factory=list)
    text: str = ""
    error: str = ""
    condition_values: str = ""
    condition_text: str = ""


def _level_choices(chosen: Any) -> list[Choice]:
    return [Choice(level, label, chosen == level) for level, label in LEVEL_LABELS.items()]


def _describe(
    question: Question,
    raw: Mapping[int, Any] | None = None,
    errors: Mapping[int, str] | None = None,
) -> Shown:
    value = (raw or {}).get(question.pk)
    shown = Shown(question=question, error=(errors or {}).get(question.pk, ""))
    kind = question.kind
    if kind == QuestionKind.SATISFACTION:
        shown.choices = _level_choices(value)
    elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        picked = value if isinstance(value, list) else [value]
        shown.choices = [
            Choice(index, option, index in picked) for index, option in enumerate(question.options)
        ]
    elif kind == QuestionKind.MATRIX:
        levels = value if isinstance(value, list) else []
        shown.rows = [
            (row, option, _level_choices(levels[row] if row < len(levels) else None))
            for row, option in enumerate(question.options)
        ]
    else:
        shown.text = value if isinstance(value, str) else ""
    condition = question.show_if
    if condition is not None:
        values = question.show_if_options
        shown.condition_values = " ".join(str(item) for item in values)
        if condition.kind == QuestionKind.SATISFACTION:
            labels = [str(LEVEL_LABELS[item]) for item in values if item in LEVEL_LABELS]
        else:
            labels = [condition.options[i] for i in values if 0 <= i < len(condition.options)]
        shown.condition_text = _("Answer only if you chose “%(answers)s” in question %(n)s.") % {
            "answers": "” / “".join(labels),
            "n": condition.position,
        }
    return shown


def _notice(request: HttpRequest, kind: str, status: int) -> HttpResponse:
    titles = {
        "invalid": (
            _("This link does not work"),
            _(
                "This survey link is not valid. It may have been used already: each code "
                "can be used once. If you think this is a mistake, ask your community."
            ),
        ),
        "closed": (
            _("The survey is closed"),
            _("This survey is not open at the moment. Thank you for your interest."),
        ),
        "staff": (
            _("Staff cannot answer here"),
            _(
                "This device was used to sign in as staff of the unit being assessed. Its "
                "residents' survey is for residents: please leave it to them."
            ),
        ),
        "limited": (
            _("Thank you, you have answered already"),
            _(
                "This device or network has already answered through this link as often as "
                "allowed. Thank you for taking part."
            ),
        ),
    }
    title, message = titles[kind]
    response = render(
        request,
        "evaluation/answer_notice.html",
        {"title": title, "message": message, "kind": kind},
        status=status,
    )
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of other sites' referrers, caches and search
    # engines. Not "no-referrer": browsers then send "Origin: null" and CSRF refuses the form.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _guard_guessing(request: HttpRequest) -> None:
    if not settings.RATELIMIT_ENABLED:
        return
    window = ratelimit.peek(
        "survey-token-miss",
        ratelimit.client_ip(request),
        limit=TOKEN_MISSES_PER_WINDOW,
        window_seconds=TOKEN_WINDOW_SECONDS,
    )
    if window.count >= window.limit:
        raise RateLimited(retry_after=window.retry_after)


def _count_miss(request: HttpRequest) -> None:
    ratelimit.hit(
        "survey-token-miss",
        ratelimit.client_ip(request),
        limit=TOKEN_MISSES_PER_WINDOW,
        window_seconds=TOKEN_WINDOW_SECONDS,
    )


def _answer_page(
    request: HttpRequest,
    *,
    survey: Survey,
    round_unit: Any,
    submit: Callable[[dict[int, Any]], Any],
) -> HttpResponse:
    questions = selectors.survey_questions(survey)
    raw: dict[int, Any] = {}
    errors: dict[int, str] = {}
    problem = ""
    if request.method == "POST":
        raw = answers_from_post(questions, request.POST)
        try:
            submit(raw)
        except services.AnswersInvalid as error:
            errors, problem = error.errors, str(error.message)
        except services.SurveyClosed:
            return _notice(request, "closed", 410)
        except NotFound:
            return _notice(request, "invalid", 404)
        except services.StaffDeviceRefused:
            return _notice(request, "staff", 403)
        except Conflict:
            return _notice(request, "limited", 429)
        except DomainError as error:
            problem = str(error.message)
        else:
            return _private(redirect("survey_thanks"))
    shown = [_describe(question, raw, errors) for question in questions]
    response = render(
        request,
        "evaluation/answer_form.html",
        {"survey": survey, "round_unit": round_unit, "questions": shown, "problem": problem},
        status=400 if problem else 200,
    )
    return _private(response)


@never_cache
@require_http_methods(["GET", "POST"])
def answer_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """A household's one-use link, from the printed QR code."""
    _guard_guessing(request)
    found = selectors.token_lookup(token)
    if found is None:
        _count_miss(request)
        return _notice(request, "invalid", 404)
    round_unit = found.batch.round_unit
    survey = selectors.survey_of(round_unit.round)
    if survey is None or not services.stage_open(round_unit.round):
        return _notice(request, "closed", 410)
    return _answer_page(
        request,
        survey=survey,
        round_unit=round_unit,
        submit=lambda raw: services.survey_answer(token=token, answers=raw),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def answer_by_link(request: HttpRequest, slug: str) -> HttpResponse:
    """A venue's open link, from a poster: limited per device and per network address."""
    _guard_guessing(request)
    link: OpenLink | None = selectors.open_link_by_slug(slug)
    if link is None:
        _count_miss(request)
        return _notice(request, "invalid", 404)
    round_unit = link.round_unit
    survey = selectors.survey_of(round_unit.round)
    if survey is None or not services.stage_open(round_unit.round):
        return _notice(request, "closed", 410)
    device_id, new = devices.device_id(request)
    response = _answer_page(
        request,
        survey=survey,
        round_unit=round_unit,
        submit=lambda raw: services.survey_answer(
            open_link=link,
            answers=raw,
            device_id=device_id,
            client_ip=ratelimit.client_ip(request),
        ),
    )
    if new:
        devices.remember_device(request, response, device_id)
    return response


@never_cache
def answer_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/answer_thanks.html")
