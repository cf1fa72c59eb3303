"""The Open311 GeoReport v2 facade at /open311/v2/: shapes, errors, filters, privacy, limits."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from jiceng.cases.models import Case, Category, Channel, Status
from jiceng.cases.services import (
    case_accept,
    case_dispatch,
    case_feedback,
    case_merge,
    case_reject,
    case_resolve,
)
from jiceng.core.actors import RESIDENT, SYSTEM
from jiceng.core.models import AuditEntry
from jiceng.orgs.models import ApiKey
from jiceng.orgs.services import api_key_create, api_key_revoke

BASE = "/open311/v2/"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ISO_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def xml_of(response) -> ET.Element:
    assert response["Content-Type"] == XML_TYPE
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def json_of(response):
    assert response["Content-Type"] == JSON_TYPE
    return response.json()


def json_error(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = json_of(response)
    assert len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def xml_error(response, status: int) -> str:
    assert response.status_code == status, response.content
    root = xml_of(response)
    assert root.tag == "errors"
    [error] = list(root)
    assert error.tag == "error"
    assert [child.tag for child in error] == ["code", "description"]
    assert error.findtext("code") == str(status)
    return error.findtext("description") or ""


def ids_of(response) -> list[str]:
    return [item["service_request_id"] for item in json_of(response)]


@pytest.fixture
def street_key(tree) -> str:
    """A key of 东湖街道 (street A): its communities, not 石泉镇's."""
    _, raw = api_key_create(actor=SYSTEM, name="微信小程序对接", unit=tree.street_a)
    return raw


@pytest.fixture
def post(client, street_key):
    """POST requests.{fmt} with a valid request; keyword arguments override (None drops)."""

    def send(fmt: str = "json", **fields):
        data = {
            "api_key": street_key,
            "service_code": "rubbish",
            "area_code": "QH-DH-LA",
            "description": "柳岸路88号小区垃圾站已经三天没有清运，气味很大，请尽快处理。",
        }
        data.update(fields)
        data = {name: value for name, value in data.items() if value is not None}
        return client.post(f"{BASE}requests.{fmt}", data)

    return send


def resolve(case, secretary, tree, body="垃圾已全部清运，站点已消毒。"):
    case_accept(case=case, actor=secretary)
    case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
    return case_resolve(case=case, actor=secretary, body=body)


# --- discovery and services -----------------------------------------------------------------
def test_discovery_in_json_and_xml(client, tree):
    body = json_of(client.get(f"{BASE}discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert ISO_LOCAL.match(body["changeset"])

    root = xml_of(client.get(f"{BASE}discovery.xml"))
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint_xml = root.find("endpoints/endpoint")
    assert endpoint_xml is not None
    assert endpoint_xml.findtext("url") == "http://testserver/open311/v2/"
    assert [f.text for f in endpoint_xml.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_list_active_leaf_categories_in_the_request_language(client, tree):
    Category.objects.filter(code="greenery").update(is_active=False)
    services = json_of(client.get(f"{BASE}services.json"))
    by_code = {service["service_code"]: service for service in services}
    assert by_code["rubbish"] == {
        "service_code": "rubbish",
        "service_name": "垃圾清运",
        "description": by_code["rubbish"]["description"],
        "metadata": False,
        "type": "realtime",
        "keywords": Category.objects.get(code="rubbish").keywords,
        "group": "环境卫生",
    }
    assert "greenery" not in by_code  # inactive
    assert "environment" not in by_code  # a group, not a service
    assert (
        len(services)
        == Category.objects.filter(
            is_active=True, parent__isnull=False, parent__is_active=True
        ).count()
    )

    english = {s["service_code"]: s for s in json_of(client.get(f"{BASE}services.json", **EN))}
    assert english["rubbish"]["service_name"] == "Rubbish collection"
    assert english["rubbish"]["group"] == "Environment and sanitation"

    root = xml_of(client.get(f"{BASE}services.xml"))
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    first = root[0]
    assert [child.tag for child in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "false"
    assert len(root) == len(services)


def test_service_definition_has_no_attributes(client, tree):
    assert json_of(client.get(f"{BASE}services/rubbish.json")) == {
        "service_code": "rubbish",
        "attributes": [],
    }
    root = xml_of(client.get(f"{BASE}services/rubbish.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "rubbish"
    attributes = root.find("attributes")
    assert attributes is not None and len(attributes) == 0


def test_unknown_group_and_inactive_services_are_404(client, tree):
    Category.objects.filter(code="greenery").update(is_active=False)
    for code in ("nope", "environment", "greenery", "%00", "a" * 300):
        json_error(client.get(f"{BASE}services/{code}.json"), 404)
        xml_error(client.get(f"{BASE}services/{code}.xml"), 404)


# --- creating requests ----------------------------------------------------------------------
def test_post_creates_an_open311_case_that_public_reads_show(client, post, tree):
    response = post(lat="30.1234567", long="120.7654321", address_string="柳岸路88号")
    assert response.status_code == 200
    [created] = json_of(response)
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert created["account_id"] is None
    case = Case.objects.get(pk=int(created["service_request_id"]))
    assert created["token"] == case.tracking_code
    assert case.tracking_code in created["service_notice"]
    assert case.channel == Channel.OPEN311
    assert case.category.code == "rubbish"
    assert case.area == tree.community_a1
    assert case.current_unit == tree.community_a1
    assert case.status == Status.SUBMITTED
    assert case.title == "柳岸路88号小区垃圾站已经三天没有清运，气味很大，请尽快处理。"[:30]
    assert case.is_anonymous and case.reporter_name == ""
    assert case.latitude == Decimal("30.123457") and case.longitude == Decimal("120.765432")
    assert case.address == "柳岸路88号"
    entry = AuditEntry.objects.get(action="cases.case.submitted")
    assert entry.actor_api_key == ApiKey.objects.get() and entry.actor_user is None

    [shown] = json_of(client.get(f"{BASE}requests/{case.pk}.json"))
    assert shown["service_request_id"] == str(case.pk)
    assert shown["status"] == "open"
    assert shown["service_code"] == "rubbish"
    assert shown["agency_responsible"] == "柳岸社区"
    assert shown["lat"] == pytest.approx(30.123457)
    assert str(case.pk) in ids_of(client.get(f"{BASE}requests.json"))
    # The token (the resident's tracking code) leads to the public id.
    assert json_of(client.get(f"{BASE}tokens/{case.tracking_code}.json")) == [
        {"service_request_id": str(case.pk), "token": case.tracking_code}
    ]


def test_post_in_xml_with_names_title_and_a_grid(post, tree):
    response = post(
        "xml", first_name="秀英", last_name="王", title="垃圾站满溢", area_code="QH-DH-LA-01"
    )
    root = xml_of(response)
    assert response.status_code == 200
    assert root.tag == "service_requests"
    [request] = list(root)
    assert request.tag == "request"
    assert [child.tag for child in request] == [
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    ]
    assert request.findtext("account_id") == ""
    case = Case.objects.get(pk=int(request.findtext("service_request_id") or 0))
    assert case.reporter_name == "王秀英" and not case.is_anonymous
    assert case.title == "垃圾站满溢"
    assert case.area == tree.grid_a1

    [latin] = json_of(post(first_name="Anna", last_name="Li", phone="13912345678"))
    named = Case.objects.get(pk=int(latin["service_request_id"]))
    assert named.reporter_name == "Anna Li" and named.reporter_phone == "13912345678"


def test_post_accepts_url_encoded_bodies_and_a_key_in_the_query(client, street_key, tree):
    response = client.post(
        f"{BASE}requests.json?api_key={street_key}",
        "service_code=rubbish&area_code=QH-DH-LA&description=%E5%9E%83%E5%9C%BE%E6%BB%A1%E4%BA%86",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert Case.objects.get().description == "垃圾满了"


def test_missing_wrong_and_revoked_keys_are_403(post, street_key, tree):
    for key in (None, "", "jc_nope_nope", "jc_\x00_x", street_key + "x"):
        json_error(post(api_key=key), 403)
    assert "api_key" in xml_error(post("xml", api_key="wrong"), 403)
    api_key_revoke(actor=SYSTEM, api_key=ApiKey.objects.get(), reason="对接停止")
    assert "api_key" in json_error(post(), 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("fields", "mentions"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "nope"}, "service_code"),
        ({"service_code": "environment"}, "service_code"),
        ({"service_code": "rub\x00bish"}, "service_code"),
        ({"area_code": None}, "area_code"),
        ({"area_code": "  "}, "area_code"),
        ({"area_code": "NOPE"}, "area_code"),
        ({"area_code": "QH-DH\x00"}, "area_code"),
        ({"area_code": "QH-DH"}, "area_code"),  # a street: not where a problem is
        ({"description": None}, "description"),
        ({"description": " \n "}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"title": "长" * 101}, "title"),
        ({"address_string": "长" * 201}, "address_string"),
        ({"email": "not-an-address"}, "email"),
        ({"lat": "abc", "long": "120"}, "lat"),
        ({"lat": "1e999", "long": "120"}, "lat"),
        ({"lat": "NaN", "long": "120"}, "lat"),
        ({"lat": "-Infinity", "long": "120"}, "lat"),
        ({"lat": "90.5", "long": "120"}, "lat"),
        ({"lat": "30", "long": "180.01"}, "long"),
        ({"lat": "30", "long": "9" * 5000}, "long"),
        ({"lat": "30"}, "long"),
        ({"long": "120"}, "lat"),
    ],
)
def test_bad_submissions_are_400_and_change_nothing(post, fields, mentions, tree):
    assert mentions in json_error(post(**fields), 400)
    assert not Case.objects.exists()


def test_a_key_cannot_post_into_another_streets_community(client, post, tree):
    description = json_error(post(area_code="QH-SQ-QS"), 400)
    assert description == "此 area_code 不在您的 api_key 所服务的范围内。"
    assert not Case.objects.exists()
    _, district_key = api_key_create(actor=SYSTEM, name="区级平台", unit=tree.district)
    assert post(api_key=district_key, area_code="QH-SQ-QS").status_code == 200
    assert Case.objects.get().area == tree.community_b1


def test_post_strips_control_characters_and_survives_broken_encodings(client, street_key, tree):
    body = (
        b"api_key=" + street_key.encode() + b"&service_code=rubbish&area_code=QH-DH-LA"
        b"&description=%E5%9E%83\x00\xff\xfe%07ok&first_name=%FF"
    )
    response = client.generic(
        "POST", f"{BASE}requests.json", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert "\x00" not in case.description and "\x07" not in case.description
    assert case.description.endswith("ok")
    broken = client.generic(
        "POST", f"{BASE}requests.xml", b"--x\r\n", content_type="multipart/form-data", **EN
    )
    assert xml_error(broken, 400) == "The request could not be read."


def test_an_oversized_body_is_a_400_not_a_crash(client, street_key, settings, tree):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = client.post(
        f"{BASE}requests.json",
        {"api_key": street_key, "service_code": "rubbish", "description": "长" * 500},
    )
    json_error(response, 400)
    assert not Case.objects.exists()


# --- reading requests -----------------------------------------------------------------------
def test_requests_in_json_and_xml_have_the_spec_fields(client, submit, tree):
    case = submit(address="柳岸路88号")
    [item] = json_of(client.get(f"{BASE}requests.json"))
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == str(case.pk)
    assert item["service_name"] == "垃圾清运"
    assert item["description"] == case.description
    assert item["address"] == "柳岸路88号"
    assert item["address_id"] == item["zipcode"] == item["media_url"] == ""
    assert item["service_notice"] == ""
    assert item["lat"] is None and item["long"] is None
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO_LOCAL.match(item[field]), item[field]
    assert item["expected_datetime"] == timezone.localtime(case.resolve_by).isoformat(
        timespec="seconds"
    )

    root = xml_of(client.get(f"{BASE}requests.xml"))
    assert root.tag == "service_requests"
    [request] = list(root)
    assert request.tag == "request"
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("service_request_id") == str(case.pk)

    root = xml_of(client.get(f"{BASE}requests/{case.pk}.xml"))
    assert [child.tag for child in root] == ["request"]


def test_unknown_requests_and_tokens_are_404(client, submit, tree):
    case = submit()
    for request_id in ("0", str(case.pk + 1), "abc", "1" * 40, case.tracking_code):
        json_error(client.get(f"{BASE}requests/{request_id}.json"), 404)
        xml_error(client.get(f"{BASE}requests/{request_id}.xml"), 404)
    for token in ("NOPE", str(case.pk), "%00", "x" * 100):
        json_error(client.get(f"{BASE}tokens/{token}.json"), 404)
    root = xml_of(client.get(f"{BASE}tokens/{case.tracking_code.lower()}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == str(case.pk)
    assert root.findtext("request/token") == case.tracking_code


def test_status_mapping_and_status_notes(client, submit, secretary, tree):
    submitted = submit()
    accepted = case_accept(case=submit(), actor=secretary)
    dispatched = case_dispatch(
        case=case_accept(case=submit(), actor=secretary),
        actor=secretary,
        to_unit=tree.community_a1,
    )
    resolved = resolve(submit(), secretary, tree, body="已清运，谢谢您的反映。")
    closed = resolve(submit(), secretary, tree, body="垃圾站已清空。")
    case_feedback(case=closed, actor=RESIDENT, solved="yes", satisfaction=5)
    reopened = resolve(submit(), secretary, tree, body="处理完毕。")
    case_feedback(case=reopened, actor=RESIDENT, solved="no", satisfaction=1)
    again = resolve(submit(), secretary, tree, body="第一次答复。")
    case_feedback(case=again, actor=RESIDENT, solved="no", satisfaction=1)
    case_resolve(case=again, actor=secretary, body="第二次答复：已彻底清理。")
    rejected = case_reject(case=submit(), actor=secretary, note="内部：疑似重复的测试数据")
    original = submit()
    merged = case_merge(case=submit(), actor=secretary, into=original)

    items = {
        item["service_request_id"]: item
        for item in json_of(client.get(f"{BASE}requests.json", **EN))
    }

    def shown(case):
        item = items[str(case.pk)]
        return item["status"], item["status_notes"]

    assert shown(submitted) == ("open", "Submitted")
    assert shown(accepted) == ("open", "Accepted")
    assert shown(dispatched) == ("open", "Dispatched")
    assert shown(reopened) == ("open", "In progress")
    assert shown(resolved) == ("closed", "Resolved, awaiting feedback: 已清运，谢谢您的反映。")
    assert shown(closed) == ("closed", "Closed: 垃圾站已清空。")
    assert shown(again) == ("closed", "Resolved, awaiting feedback: 第二次答复：已彻底清理。")
    assert shown(rejected) == ("closed", "Rejected")
    assert shown(merged) == ("closed", f"Merged as duplicate: merged into request {original.pk}")
    assert shown(original)[0] == "open"
    assert "内部" not in str(items)

    open_ids = set(ids_of(client.get(f"{BASE}requests.json", {"status": "open"})))
    closed_ids = set(ids_of(client.get(f"{BASE}requests.json", {"status": "closed"})))
    both = set(ids_of(client.get(f"{BASE}requests.json", {"status": "open,closed"})))
    assert open_ids == {str(c.pk) for c in (submitted, accepted, dispatched, reopened, original)}
    assert closed_ids == {str(c.pk) for c in (resolved, closed, again, rejected, merged)}
    assert both == open_ids | closed_ids == set(items)
    repeated = client.get(f"{BASE}requests.json?status=open&status=closed")
    assert set(ids_of(repeated)) == both
    for bad in ("pending", "open,nope", "OPEN;closed"):
        assert "status" in json_error(client.get(f"{BASE}requests.json", {"status": bad}), 400)


def test_filter_by_service_code_and_by_ids(client, submit, tree):
    rubbish = submit()
    lift = submit(category=Category.objects.get(code="lift"))
    only_lift = client.get(f"{BASE}requests.json", {"service_code": "lift"})
    assert ids_of(only_lift) == [str(lift.pk)]
    both = client.get(f"{BASE}requests.json", {"service_code": "lift,rubbish"})
    assert set(ids_of(both)) == {str(lift.pk), str(rubbish.pk)}
    assert ids_of(client.get(f"{BASE}requests.json", {"service_code": "nope"})) == []
    json_error(client.get(f"{BASE}requests.json", {"service_code": "a\x00b"}), 400)

    by_id = client.get(f"{BASE}requests.json", {"service_request_id": f"{rubbish.pk},999999"})
    assert ids_of(by_id) == [str(rubbish.pk)]
    for bad in ("abc", "1;2", "-1", "1" * 19):
        json_error(client.get(f"{BASE}requests.json", {"service_request_id": bad}), 400)
    too_many = ",".join(str(n) for n in range(1, 102))
    json_error(client.get(f"{BASE}requests.json", {"service_request_id": too_many}), 400)


def test_the_ninety_day_window(client, submit, tree):
    now = timezone.now()
    old = submit(submitted_at=now - timedelta(days=100))
    new = submit()
    url = f"{BASE}requests.json"

    assert ids_of(client.get(url)) == [str(new.pk)]  # default: the last 90 days
    span = {"start_date": (now - timedelta(days=120)).isoformat(), "end_date": now.isoformat()}
    assert "90" in json_error(client.get(url, span, **EN), 400)
    older = {
        "start_date": (now - timedelta(days=120)).isoformat(),
        "end_date": (now - timedelta(days=80)).isoformat(),
    }
    assert ids_of(client.get(url, older)) == [str(old.pk)]
    # A start alone covers 90 days from it; an end alone the 90 days before it.
    start_only = {"start_date": (now - timedelta(days=101)).isoformat()}
    assert ids_of(client.get(url, start_only)) == [str(old.pk)]
    end_only = {"end_date": (now - timedelta(days=95)).isoformat()}
    assert ids_of(client.get(url, end_only)) == [str(old.pk)]
    # service_request_id overrides every other argument, the window included.
    assert ids_of(client.get(url, {"service_request_id": str(old.pk)})) == [str(old.pk)]

    reversed_span = {"start_date": now.isoformat(), "end_date": (now - timedelta(1)).isoformat()}
    assert "start_date" in json_error(client.get(url, reversed_span), 400)
    # Dates alone are local days, the end day included.
    today = timezone.localdate()
    days = {"start_date": (today - timedelta(days=89)).isoformat(), "end_date": today.isoformat()}
    assert ids_of(client.get(url, days)) == [str(new.pk)]
    wide = {"start_date": (today - timedelta(days=90)).isoformat(), "end_date": today.isoformat()}
    json_error(client.get(url, wide), 400)


def test_dates_with_an_unencoded_plus_and_utc_are_understood(client, submit, tree):
    new = submit()
    start = timezone.localtime() - timedelta(days=1)
    raw = start.replace(microsecond=0).isoformat()
    assert raw.endswith("+08:00")
    assert ids_of(client.get(f"{BASE}requests.json?start_date={raw}")) == [str(new.pk)]
    utc = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids_of(client.get(f"{BASE}requests.json", {"start_date": utc})) == [str(new.pk)]


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30T00:00:00Z",
        "0001-01-01T00:00:00+08:00",
        "9999-12-31T23:59:59-12:00",
        "99999-01-01",
        "2025-01-01T25:00:00Z",
        "2025-01-01T00:00:00+99:00",
        "\x00",
        "1" * 5000,
    ],
)
def test_bad_dates_are_400(client, tree, value):
    for name in ("start_date", "end_date"):
        assert name in json_error(client.get(f"{BASE}requests.json", {name: value}), 400)


def test_pagination_newest_first_with_a_next_link(client, submit, tree):
    cases = [submit() for _ in range(7)]
    newest_first = [str(case.pk) for case in reversed(cases)]
    url = f"{BASE}requests.json"
    first = client.get(url, {"page_size": 3})
    assert ids_of(first) == newest_first[:3]
    assert first["Link"] == (
        '<http://testserver/open311/v2/requests.json?page_size=3&page=2>; rel="next"'
    )
    assert ids_of(client.get(url, {"page_size": 3, "page": 2})) == newest_first[3:6]
    last = client.get(url, {"page_size": 3, "page": 3})
    assert ids_of(last) == newest_first[6:]
    assert "Link" not in last
    assert ids_of(client.get(url, {"page_size": 3, "page": 4})) == []
    assert len(ids_of(client.get(url))) == 7  # default page size 50
    # The key of a client is never echoed into the link.
    linked = client.get(url, {"page_size": 3, "api_key": "jc_secret_x"})
    assert "secret" not in linked["Link"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("page", "1.5"),
        ("page", "10001"),
        ("page", "9" * 5000),
        ("page_size", "0"),
        ("page_size", "1001"),
        ("page_size", "1e3"),
        ("page_size", "-50"),
    ],
)
def test_bad_pages_are_400(client, tree, name, value):
    assert name in json_error(client.get(f"{BASE}requests.json", {name: value}), 400)


def test_listing_costs_the_same_queries_at_any_page_size(
    client, submit, secretary, tree, django_assert_max_num_queries
):
    cases = [submit() for _ in range(12)]
    for case in cases[-4:]:  # the newest are resolved: their replies are on every page
        resolve(case, secretary, tree)
    for page_size in (2, 12, 1000):
        with django_assert_max_num_queries(2):
            response = client.get(f"{BASE}requests.json", {"page_size": page_size})
        assert len(json_of(response)) == min(page_size, 12)
        assert json_of(response)[0]["status"] == "closed"
    with django_assert_max_num_queries(2):
        client.get(f"{BASE}requests/{cases[-1].pk}.xml")


# --- privacy --------------------------------------------------------------------------------
def test_public_reads_never_show_the_reporter_or_the_tracking_code(
    client, submit, post, secretary, tree
):
    name, phone, email = "王秀英", "13912345678", "wang.xiuying@example.com"
    typed = submit(
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        description=(
            f"我是{name}，电话{phone}，邮箱{email}。2026-11-01起楼下垃圾站满溢，"
            "身份证110101199001011234。"
        ),
        address=f"柳岸路88号（{name}家门口）",
    )
    resolve(typed, secretary, tree, body=f"已电话联系{name}（138 0013 8000），垃圾已清运。")
    [created] = json_of(
        post(first_name="志强", last_name="李", phone="13800001111", email="li@example.org")
    )
    secrets = [
        name,
        phone,
        email,
        "138 0013 8000",
        "110101199001011234",
        "李志强",
        "13800001111",
        "li@example.org",
        typed.tracking_code,
        created["token"],
    ]
    bodies = []
    for fmt in ("json", "xml"):
        bodies.append(client.get(f"{BASE}requests.{fmt}").content.decode())
        bodies.append(client.get(f"{BASE}requests/{typed.pk}.{fmt}").content.decode())
        bodies.append(
            client.get(f"{BASE}requests/{created['service_request_id']}.{fmt}").content.decode()
        )
        bodies.append(
            client.get(
                f"{BASE}requests.{fmt}",
                {"service_request_id": f"{typed.pk},{created['service_request_id']}"},
            ).content.decode()
        )
    for body in bodies:
        for secret in secrets:
            assert secret not in body
    [item] = json_of(client.get(f"{BASE}requests/{typed.pk}.json"))
    assert item["description"] == (
        "我是***，电话***，邮箱***。2026-11-01起楼下垃圾站满溢，身份证***。"
    )
    assert item["address"] == "柳岸路88号（***家门口）"
    assert "垃圾已清运" in item["status_notes"]


def test_xml_stays_well_formed_with_control_characters_in_stored_text(client, submit, tree):
    case = submit(description="垃圾站\x0b满溢\x1b，请处理")
    root = xml_of(client.get(f"{BASE}requests/{case.pk}.xml"))
    assert root.findtext("request/description") == "垃圾站满溢，请处理"


# --- methods, formats, languages ------------------------------------------------------------
def test_wrong_methods_are_405_even_without_a_csrf_token(street_key, tree):
    client = Client(enforce_csrf_checks=True)
    for method, path, allowed in [
        ("post", "services.json", "GET"),
        ("post", "discovery.xml", "GET"),
        ("put", "requests.json", "GET, POST"),
        ("delete", "requests.json", "GET, POST"),
        ("patch", "services/rubbish.json", "GET"),
        ("post", "requests/1.json", "GET"),
        ("post", "tokens/ABC.xml", "GET"),
    ]:
        response = getattr(client, method)(BASE + path)
        if path.endswith(".xml"):
            xml_error(response, 405)
        else:
            json_error(response, 405)
        assert response["Allow"] == allowed
    created = client.post(
        f"{BASE}requests.json",
        {
            "api_key": street_key,
            "service_code": "rubbish",
            "area_code": "QH-DH-LA",
            "description": "机器客户端没有 CSRF 令牌。",
        },
    )
    assert created.status_code == 200


def test_unknown_formats_and_paths_are_404_in_the_spec_format(client, tree):
    for path in ("requests.csv", "services.html", "discovery", "", "nothing.json", "requests/"):
        json_error(client.get(BASE + path), 404)
    xml_error(client.get(BASE + "nothing.xml"), 404)
    json_error(client.post(BASE + "requests.csv"), 404)


def test_errors_follow_accept_language_chinese_by_default(client, post, settings, tree):
    english = client.get(f"{BASE}services/nope.json", **EN)
    assert json_error(english, 404) == "No service has this service_code."
    assert english["Content-Language"] == "en"
    chinese = client.get(f"{BASE}services/nope.json")
    assert chinese["Content-Language"] == "zh-hans"
    settings.OPEN311_POSTS_PER_HOUR = 0
    assert json_error(post(), 429) == "请求过于频繁，请稍候再试。"


# --- limits ---------------------------------------------------------------------------------
def test_posts_are_limited_per_key(post, settings, tree):
    settings.OPEN311_POSTS_PER_HOUR = 2
    assert [post().status_code for _ in range(2)] == [200, 200]
    limited = post("xml")
    xml_error(limited, 429)
    assert int(limited["Retry-After"]) > 0
    assert Case.objects.count() == 2
    _, other_key = api_key_create(actor=SYSTEM, name="另一个系统", unit=tree.street_b)
    assert post(api_key=other_key, area_code="QH-SQ-QS").status_code == 200


def test_reads_are_limited_per_address(client, settings, tree):
    settings.OPEN311_READS_PER_MINUTE = 3
    for path in ("services.json", "requests.json", "discovery.xml"):
        assert client.get(BASE + path).status_code == 200
    limited = client.get(f"{BASE}requests.json")
    json_error(limited, 429)
    assert int(limited["Retry-After"]) > 0
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.get(f"{BASE}requests.json").status_code == 200


def test_token_lookups_and_bad_keys_are_limited_per_address(client, post, street_key, settings):
    settings.OPEN311_TOKEN_LOOKUPS_PER_WINDOW = 2
    settings.OPEN311_BAD_KEYS_PER_HOUR = 2
    for _ in range(2):
        json_error(client.get(f"{BASE}tokens/NOPE.json"), 404)
    json_error(client.get(f"{BASE}tokens/NOPE.json"), 429)
    for _ in range(2):
        json_error(post(api_key="jc_wrong_key"), 403)
    json_error(post(api_key="jc_wrong_key"), 429)
    json_error(post(), 429)  # the address waits, even with the right key
    assert not Case.objects.exists()


def test_limits_can_be_switched_off(client, post, settings, tree):
    settings.RATELIMIT_ENABLED = False
    settings.OPEN311_POSTS_PER_HOUR = 0
    settings.OPEN311_READS_PER_MINUTE = 0
    settings.OPEN311_BAD_KEYS_PER_HOUR = 0
    assert post().status_code == 200
    assert post(api_key="nope").status_code == 403
    assert client.get(f"{BASE}requests.json").status_code == 200


# --- no 500 on any input --------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "page=%FF%FE",
        "start_date=%FF&end_date=%00",
        "status=%E2%82%AC",
        "service_code=%F0%9F%92%A9",
        "service_request_id=%C0%80",
        "page_size=1000&page=10000",
        "start_date=2025-01-01T00:00:00%2B08:00&end_date=2025-01-01",
        "jurisdiction_id=anything&status=",
        "status=open&status=&service_code=,,",
        "page=%2B1",
        "a" * 3000 + "=1",
    ],
)
def test_garbage_queries_never_crash(client, submit, tree, query):
    submit()
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}requests.{fmt}?{query}")
        assert response.status_code in (200, 400), (query, response.content)
        if fmt == "json":
            assert isinstance(json_of(response), list)
        else:
            assert xml_of(response).tag in ("service_requests", "errors")
    for path in ("requests/%FF.json", "tokens/%FF%00.xml", "services/%FF.json"):
        assert client.get(BASE + path).status_code == 404
