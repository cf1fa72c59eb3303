"""URLs of the Open311 GeoReport v2 facade, mounted at /open311/v2/ (docs/OPEN311.md)."""

from __future__ import annotations

from django.urls import re_path

from jiceng.cases import open311

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, open311.services, name="services"),
    re_path(r"^services/(?P<code>[^/]+)" + FORMAT, open311.service_definition, name="service"),
    re_path(r"^requests" + FORMAT, open311.service_requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + FORMAT, open311.service_request, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FORMAT, open311.token, name="token"),
    re_path(r"^$", open311.not_found, name="root"),
    # Anything else, unknown formats (.csv) included: a 404 in the spec's error format.
    re_path(r"^", open311.not_found),
]
