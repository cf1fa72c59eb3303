"""The JSON API's 422 problems speak the request's language for every parameter it takes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from config.api import _message, api
from jiceng.orgs.roles import Role

CJK = re.compile(r"[\u4e00-\u9fff]")


def _bad_values(schema: dict[str, Any]) -> list[str]:
    """Values a query parameter of this schema refuses (none for a free string)."""
    options = schema.get("anyOf", [schema])
    for option in options:
        if "$ref" in option:
            return ["no-such-choice"]
        kind = option.get("type")
        if kind == "integer":
            values = ["x"]
            if "minimum" in option:
                values.append(str(option["minimum"] - 1))
            if "maximum" in option:
                values.append(str(option["maximum"] + 1))
            return values
        if kind == "boolean":
            return ["maybe"]
        if option.get("format") == "date":
            return ["2026-13-45"]
    return []


def _query_parameters() -> list[tuple[str, str, str]]:
    spec = api.get_openapi_schema()
    found = []
    for path, operations in spec["paths"].items():
        if "{" in path:  # path parameters are matched by the URL pattern: 404, not 422
            continue
        for parameter in operations.get("get", {}).get("parameters", []):
            for value in _bad_values(parameter.get("schema", {})):
                found.append((path, parameter["name"], value))
    return found


def test_every_checked_query_parameter_is_covered():
    names = {(path, name) for path, name, _value in _query_parameters()}
    # The spec has these kinds of checked parameters; a route's new one joins the test below.
    assert ("/api/v1/cases", "status") in names and ("/api/v1/cases", "overdue") in names
    assert ("/api/v1/cases", "submitted_from") in names
    assert ("/api/v1/library/documents", "year") in names


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name", "value"), _query_parameters())
def test_a_bad_query_parameter_is_refused_in_chinese(tree, path, name, value):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(tree.people[Role.DISTRICT_ADMIN])
    response = client.get(path, {name: value})
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert CJK.search(body["title"])
    assert [error["field"] for error in body["errors"]] == [name]
    assert all(CJK.search(error["message"]) for error in body["errors"]), body["errors"]


def test_an_error_kind_without_its_own_message_gets_the_general_one():
    request = RequestFactory().get("/api/v1/units", {"ratio": "x"})
    error = {"type": "float_parsing", "loc": ("query", "ratio"), "msg": "Input should be a number"}
    with translation.override("zh-hans"):
        assert _message(request, error) == "输入一个有效的值。"
    with translation.override("en"):
        assert _message(request, error) == "Enter a valid value."


def test_the_routers_form_messages_pass_as_they_are():
    request = RequestFactory().get("/api/v1/cases", {"unit": "QH-SQ"})
    error = {"type": "form", "loc": ("query", "unit"), "msg": "此单位不在您的管辖范围内。"}
    assert _message(request, error) == "此单位不在您的管辖范围内。"
