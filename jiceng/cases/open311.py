"""The Open311 GeoReport v2 facade at /open311/v2/ (docs/OPEN311.md).

Plain Django views: discovery, services, service definitions, requests (GET and POST), one
request and tokens, each as `.json` or `.xml`. Every answer, errors included, goes through
`render`, which writes the spec's shapes: `<services><service>`, `<service_requests><request>`,
`<errors><error>`, `<discovery>`.

Identifiers. A request's public `service_request_id` is its database id. The resident's
tracking code is *not* public: it lets whoever holds it confirm or reopen the request and rate
it, so it is returned only to the client that created the request (as `token`, also quoted in
`service_notice`) and `tokens/{token}` turns it into the public id. Public reads never show the
tracking code, the reporter's name, phone or e-mail, or internal notes.

Reads here are deliberately unscoped (Open311 reads are public); they show only the fields
built by `_request_fields`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jiceng.cases import lookups
from jiceng.cases.models import OPEN_STATUSES, Case, Category, Channel, Reply, Status
from jiceng.cases.selectors import leaf_categories
from jiceng.cases.services import case_submit, normalise_tracking_code
from jiceng.core import ratelimit
from jiceng.core.actors import Actor
from jiceng.core.choices import choice_label
from jiceng.core.errors import DomainError, RateLimited
from jiceng.core.pagination import MAX_PAGE
from jiceng.orgs.lookups import unit_by_code
from jiceng.orgs.models import ApiKey, OrgUnit
from jiceng.orgs.services import api_key_authenticate

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

# Rate limits; a setting of the same name overrides each.
WINDOW_DAYS = 90  # the default and the widest span of GET requests
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_IDS = 100  # service_request_id values in one GET requests
TITLE_LENGTH = 30

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_API_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_SERVICE_CODE_SHAPE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
_UNIT_CODE_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
_TRACKING_SHAPE = re.compile(r"^[A-Z0-9]{1,16}$")
_ID_SHAPE = re.compile(r"^[0-9]{1,18}$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A "+08:00" offset whose "+" a client forgot to encode arrives as a space.
_SPACE_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
_CJK_NAME = re.compile(r"^[\u3400-\u9fff·]+$")
# Contact details a resident may have typed into the text: mobile and landline numbers, any run
# of seven or more digits (ID card numbers too), e-mail addresses.
_CONTACTS = re.compile(
    r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9])"
    r"|(?<![0-9])0[0-9]{2,3}-[0-9]{7,8}(?![0-9])"
    r"|(?<![0-9])[0-9]{7,}[Xx]?(?![0-9])"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
MASK = "***"

# Element names of list items in XML, by the name of the list.
LIST_ITEMS = {"attributes": "attribute", "endpoints": "endpoint", "formats": "format"}
# case_submit's field names as the Open311 parameters a client sent.
PARAMETERS = {
    "category": "service_code",
    "area": "area_code",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "reporter_name": "first_name",
    "reporter_phone": "phone",
    "reporter_email": "email",
    "photos": "media_url",
}

Payload = list[dict[str, Any]] | dict[str, Any]
View = Callable[..., HttpResponse]


def _limit(name: str) -> int:
    """One of the OPEN311_* limits in the settings (environment-driven, see DEPLOYMENT.md)."""
    return int(getattr(settings, name))


# --- rendering ------------------------------------------------------------------------------
def render(
    fmt: str,
    payload: Payload,
    *,
    root: str,
    item: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    """JSON, or XML under `root` with one `item` element per entry of a list."""
    if fmt == "xml":
        body = _xml(payload, root=root, item=item)
        content_type = XML_TYPE
    else:
        body = json.dumps(payload, ensure_ascii=False)
        content_type = JSON_TYPE
    response = HttpResponse(
        body.encode("utf-8", errors="replace"), status=status, content_type=content_type
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _xml(payload: Payload, *, root: str, item: str) -> str:
    element = ET.Element(root)
    if isinstance(payload, list):
        for entry in payload:
            _fill(ET.SubElement(element, item), entry, item)
    else:
        _fill(element, payload, root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, value: Any, name: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child, key)
    elif isinstance(value, list):
        for child in value:
            child_name = LIST_ITEMS.get(name, "item")
            _fill(ET.SubElement(element, child_name), child, child_name)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_INVALID.sub("", str(value))


def error_response(
    fmt: str, status: int, description: Any, headers: dict[str, str] | None = None
) -> HttpResponse:
    return render(
        fmt,
        [{"code": status, "description": force_str(description)}],
        root="errors",
        item="error",
        status=status,
        headers=headers,
    )


# --- errors and the view wrapper ------------------------------------------------------------
class Open311Error(Exception):
    def __init__(
        self, status: int, description: Any, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(force_str(description))
        self.status = status
        self.description = description
        self.headers = headers


def _bad(description: Any) -> Open311Error:
    return Open311Error(400, description)


def _describe(error: DomainError) -> str:
    """The service's message, named by the parameter the client sent."""
    message = force_str(error.message)
    parameter = PARAMETERS.get(error.field or "", error.field)
    return f"{parameter}: {message}" if parameter else message


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allow `methods`, limit reads per address, and answer every refusal in the spec's format.

    The views are CSRF-exempt: none of them acts on a session. Reads change nothing, other
    methods than those listed get a 405 before anything happens, and the one write (POST
    requests) is authenticated by its api_key.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fmt = kwargs.get("fmt", "json")
            try:
                if request.method not in methods:
                    raise Open311Error(
                        405,
                        _("This method is not allowed here."),
                        headers={"Allow": ", ".join(methods)},
                    )
                if request.method == "GET":
                    ratelimit.check(
                        "open311-get",
                        ratelimit.client_ip(request),
                        limit=_limit("OPEN311_READS_PER_MINUTE"),
                        window_seconds=60,
                    )
                return view(request, *args, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, error.description, error.headers)
            except RateLimited as error:
                return error_response(
                    fmt, 429, error.message, headers={"Retry-After": str(error.retry_after)}
                )
            except DomainError as error:
                return error_response(fmt, error.status, _describe(error))
            except (SuspiciousOperation, MultiPartParserError):
                return error_response(fmt, 400, _("The request could not be read."))

        return csrf_exempt(wrapped)

    return decorator


@csrf_exempt
def not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Anything else under /open311/v2/, including unknown formats such as `.csv`."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error_response(fmt, 404, _("Unknown resource or format: use .json or .xml."))


# --- parameters -----------------------------------------------------------------------------
def _text(value: str | None, *, single_line: bool = True) -> str:
    cleaned = _CONTROL.sub("", value or "")
    if single_line:
        cleaned = " ".join(cleaned.split())
    return cleaned.strip()


def _list_param(query: QueryDict, name: str) -> list[str]:
    """A parameter given as a comma-separated list, several times, or both."""
    values: list[str] = []
    for raw in query.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def _int_param(query: QueryDict, name: str, *, default: int, low: int, high: int) -> int:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _bad(
            _("%(field)s must be a whole number from %(min)d to %(max)d.")
            % {"field": name, "min": low, "max": high}
        )
    return value


def _moment_param(query: QueryDict, name: str, *, end: bool = False) -> datetime | None:
    """A W3C/ISO 8601 date and time; a bare date means the start (or, for an end, the end) of
    that day in local time, and so does a time without an offset."""
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    value = _SPACE_OFFSET.sub(r"\1+\2", raw)
    try:
        moment: datetime | None
        if _DATE_ONLY.match(value):
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.min)
            if end:
                moment += timedelta(days=1, microseconds=-1)
        else:
            moment = parse_datetime(value)
        if moment is None or not 1900 <= moment.year <= 9000:
            raise ValueError(value)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
    except (ValueError, OverflowError):
        raise _bad(
            _(
                "%(field)s must be a date and time in ISO 8601 format, "
                "such as 2025-01-31T08:00:00+08:00."
            )
            % {"field": name}
        ) from None
    return moment


def _coordinate(value: str | None, name: str, bound: int) -> Decimal | None:
    raw = (value or "").strip()
    if not raw:
        return None
    try:
        number = Decimal(raw)
        valid = number.is_finite() and -bound <= number <= bound
    except (InvalidOperation, ValueError):
        valid = False
    if not valid:
        raise _bad(
            _("%(field)s must be a number from %(min)s to %(max)s.")
            % {"field": name, "min": -bound, "max": bound}
        )
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


# --- what a request looks like in public ----------------------------------------------------
def public_id(case: Case) -> str:
    return str(case.pk)


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def redact(text: str, case: Case) -> str:
    """`text` without the reporter's name, phone or e-mail, or anything that looks like one."""
    for secret in (case.reporter_name, case.reporter_phone, case.reporter_email):
        secret = (secret or "").strip()
        if len(secret) >= 2:
            text = text.replace(secret, MASK)
    return _CONTACTS.sub(MASK, text)


def _status_notes(case: Case, resolution: str | None) -> str:
    label = choice_label(Status, case.status)
    if case.status == Status.MERGED and case.merged_into_id is not None:
        return _("%(status)s: merged into request %(id)s") % {
            "status": label,
            "id": case.merged_into_id,
        }
    if case.status in (Status.RESOLVED, Status.CLOSED) and resolution:
        return _("%(status)s: %(reply)s") % {"status": label, "reply": redact(resolution, case)}
    return label


def _request_fields(case: Case, resolution: str | None) -> dict[str, Any]:
    """One request as the spec lists it, in the spec's order."""
    return {
        "service_request_id": public_id(case),
        "status": "open" if case.status in OPEN_STATUSES else "closed",
        "status_notes": _status_notes(case, resolution),
        "service_name": case.category.display_name,
        "service_code": case.category.code,
        "description": redact(case.description, case),
        "agency_responsible": case.current_unit.name,
        "service_notice": "",
        "requested_datetime": _iso(case.submitted_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.resolve_by),
        "address": redact(case.address, case),
        "address_id": "",
        "zipcode": "",
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": "",
    }


def _latest_resolutions(cases: Sequence[Case]) -> dict[int, str]:
    """The latest resolving reply of each resolved or closed case: one query for the page."""
    ids = [case.pk for case in cases if case.status in (Status.RESOLVED, Status.CLOSED)]
    latest: dict[int, str] = {}
    if ids:
        replies = (
            Reply.objects.filter(case_id__in=ids, is_resolution=True)
            .order_by("case_id", "created_at", "pk")
            .values_list("case_id", "body")
        )
        for case_id, body in replies:
            latest[case_id] = body
    return latest


def _requests_payload(cases: Sequence[Case]) -> list[dict[str, Any]]:
    resolutions = _latest_resolutions(cases)
    return [_request_fields(case, resolutions.get(case.pk)) for case in cases]


def _public_cases() -> QuerySet[Case]:
    return Case.objects.select_related("category", "current_unit").order_by("-submitted_at", "-pk")


def _requests_response(fmt: str, cases: Sequence[Case], **kwargs: Any) -> HttpResponse:
    return render(fmt, _requests_payload(cases), root="service_requests", item="request", **kwargs)


# --- discovery and services -----------------------------------------------------------------
@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changed = Category.objects.aggregate(latest=Max("updated_at"))["latest"] or timezone.now()
    contact = settings.OPEN311_CONTACT or _("Contact the administrator of this platform.")
    payload = {
        "changeset": _iso(changed),
        "contact": contact,
        "key_service": _(
            "API keys are issued by the system administrator of this platform "
            "(python manage.py create_api_key)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(reverse("open311:root")),
                "changeset": _iso(changed),
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, payload, root="discovery")


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    payload = [
        {
            "service_code": category.code,
            "service_name": category.display_name,
            "description": category.description,
            "metadata": False,
            "type": "realtime",
            "keywords": category.keywords,
            "group": category.parent.display_name if category.parent else "",
        }
        for category in leaf_categories()
    ]
    return render(fmt, payload, root="services", item="service")


def _service(code: str) -> Category | None:
    if not _SERVICE_CODE_SHAPE.match(code):
        return None
    return lookups.leaf_category_by_code(code)


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = _service(code)
    if category is None:
        raise Open311Error(404, _("No service has this service_code."))
    payload = {"service_code": category.code, "attributes": []}
    return render(fmt, payload, root="service_definition")


# --- requests -------------------------------------------------------------------------------
@endpoint("GET", "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


@dataclass(frozen=True)
class Search:
    ids: list[int]
    service_codes: list[str]
    statuses: set[str]
    start: datetime
    end: datetime


def _search_params(query: QueryDict) -> Search:
    ids = _list_param(query, "service_request_id")
    if len(ids) > MAX_IDS:
        raise _bad(
            _("Ask for at most %(count)d service_request_id values at once.") % {"count": MAX_IDS}
        )
    if not all(_ID_SHAPE.match(value) for value in ids):
        raise _bad(_("%(field)s is not valid.") % {"field": "service_request_id"})
    codes = _list_param(query, "service_code")
    if not all(_SERVICE_CODE_SHAPE.match(code) for code in codes):
        raise _bad(_("%(field)s is not valid.") % {"field": "service_code"})
    statuses = {value.lower() for value in _list_param(query, "status")}
    if not statuses <= {"open", "closed"}:
        raise _bad(_("status must be open, closed or both, separated by a comma."))
    start = _moment_param(query, "start_date")
    end = _moment_param(query, "end_date", end=True)
    window = timedelta(days=WINDOW_DAYS)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - window
    elif end is None:
        end = start + window
    if start > end:
        raise _bad(_("start_date must not be later than end_date."))
    if end - start > window:
        raise _bad(
            _("The span between start_date and end_date must not exceed %(days)d days.")
            % {"days": WINDOW_DAYS}
        )
    return Search(
        ids=[int(value) for value in ids],
        service_codes=codes,
        statuses=statuses,
        start=start,
        end=end,
    )


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests: newest first, a page at a time, without counting the table."""
    query = request.GET
    search = _search_params(query)
    page = _int_param(query, "page", default=1, low=1, high=MAX_PAGE)
    page_size = _int_param(query, "page_size", default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    cases = _public_cases()
    if search.ids:
        # The spec: service_request_id overrides all other arguments.
        cases = cases.filter(pk__in=search.ids)
    else:
        cases = cases.filter(submitted_at__gte=search.start, submitted_at__lte=search.end)
        if search.service_codes:
            cases = cases.filter(category__code__in=search.service_codes)
        if search.statuses == {"open"}:
            cases = cases.filter(status__in=OPEN_STATUSES)
        elif search.statuses == {"closed"}:
            cases = cases.exclude(status__in=OPEN_STATUSES)
    offset = (page - 1) * page_size
    rows = list(cases[offset : offset + page_size + 1])
    headers = {}
    if len(rows) > page_size:
        following = query.copy()
        following.pop("api_key", None)
        following["page"] = str(page + 1)
        url = request.build_absolute_uri(request.path) + "?" + following.urlencode()
        headers["Link"] = f'<{url}>; rel="next"'
    return _requests_response(fmt, rows[:page_size], headers=headers)


@endpoint("GET")
def service_request(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    case = None
    if _ID_SHAPE.match(request_id):
        case = _public_cases().filter(pk=int(request_id)).first()
    if case is None:
        raise Open311Error(404, _("No request has this id."))
    return _requests_response(fmt, [case])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """The public id of the request a token (the resident's tracking code) belongs to."""
    ratelimit.check(
        "open311-token",
        ratelimit.client_ip(request),
        limit=_limit("OPEN311_TOKEN_LOOKUPS_PER_WINDOW"),
        window_seconds=_limit("OPEN311_TOKEN_WINDOW_SECONDS"),
    )
    code = normalise_tracking_code(token)
    found = None
    if _TRACKING_SHAPE.match(code):
        found = Case.objects.filter(tracking_code=code).values_list("pk", "tracking_code").first()
    if found is None:
        raise Open311Error(404, _("No request has this token."))
    pk, tracking_code = found
    payload = [{"service_request_id": str(pk), "token": tracking_code}]
    return render(fmt, payload, root="service_requests", item="request")


# --- creating a request ---------------------------------------------------------------------
def _authenticate(request: HttpRequest, data: QueryDict) -> ApiKey:
    address = ratelimit.client_ip(request)
    limit = _limit("OPEN311_BAD_KEYS_PER_HOUR")
    if settings.RATELIMIT_ENABLED:
        failures = ratelimit.peek("open311-bad-key", address, limit=limit, window_seconds=3600)
        if failures.count >= limit:
            raise RateLimited(retry_after=failures.retry_after)
    raw_key = (data.get("api_key") or request.GET.get("api_key") or "").strip()
    api_key = api_key_authenticate(raw_key) if _API_KEY_SHAPE.match(raw_key) else None
    if api_key is None:
        if settings.RATELIMIT_ENABLED:
            ratelimit.hit("open311-bad-key", address, limit=limit, window_seconds=3600)
        raise Open311Error(403, _("Send a valid api_key to create requests."))
    return api_key


def _required(data: QueryDict, name: str, *, single_line: bool = True, code: bool = False) -> str:
    """A required parameter; codes are taken as sent (no characters dropped)."""
    raw = data.get(name)
    value = (raw or "").strip() if code else _text(raw, single_line=single_line)
    if not value:
        raise _bad(_("%(field)s is required.") % {"field": name})
    return value


def _area(data: QueryDict, api_key: ApiKey) -> OrgUnit:
    code = _required(data, "area_code", code=True)
    area = unit_by_code(code) if _UNIT_CODE_SHAPE.match(code) else None
    if area is None:
        raise _bad(_("No community, village or grid has this area_code."))
    if not api_key.unit.contains(area):
        raise _bad(_("This area_code lies outside the area your api_key serves."))
    return area


def _reporter_name(first: str, last: str) -> str:
    if first and last:
        return last + first if _CJK_NAME.match(first + last) else f"{first} {last}"
    return first or last


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: a new case from an integration, created at once (no token needed)."""
    data = request.POST
    api_key = _authenticate(request, data)
    ratelimit.check(
        "open311-post",
        api_key.prefix,
        limit=_limit("OPEN311_POSTS_PER_HOUR"),
        window_seconds=3600,
    )
    service_code = _required(data, "service_code", code=True)
    category = _service(service_code)
    if category is None:
        raise _bad(_("No service has this service_code."))
    area = _area(data, api_key)
    description = _required(data, "description", single_line=False)
    title = _text(data.get("title")) or " ".join(description.split())[:TITLE_LENGTH]
    latitude = _coordinate(data.get("lat"), "lat", 90)
    longitude = _coordinate(data.get("long"), "long", 180)
    if (latitude is None) != (longitude is None):
        raise _bad(_("Give both lat and long, or neither."))
    name = _reporter_name(_text(data.get("first_name")), _text(data.get("last_name")))
    case = case_submit(
        actor=Actor(user=None, api_key=api_key),
        category=category,
        area=area,
        title=title,
        description=description,
        channel=Channel.OPEN311,
        address=_text(data.get("address_string")),
        latitude=latitude,
        longitude=longitude,
        is_anonymous=not name,
        reporter_name=name,
        reporter_phone=_text(data.get("phone")),
        reporter_email=_text(data.get("email")),
        reporter_language=translation.get_language() or "",
    )
    notice = _("Received and sent to %(unit)s. The resident's tracking code is %(code)s.") % {
        "unit": case.current_unit.name,
        "code": case.tracking_code,
    }
    payload = [
        {
            "service_request_id": public_id(case),
            "token": case.tracking_code,
            "service_notice": notice,
            "account_id": None,
        }
    ]
    return render(fmt, payload, root="service_requests", item="request")
