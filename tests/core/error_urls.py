"""A URLconf with views that raise domain errors, to test their single mapping."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from jiceng.core.errors import Conflict, DomainError, RateLimited


def refuse(request: HttpRequest) -> HttpResponse:
    raise DomainError("规则不允许", field="name")


def conflict(request: HttpRequest) -> HttpResponse:
    raise Conflict()


def slow_down(request: HttpRequest) -> HttpResponse:
    raise RateLimited(retry_after=42)


urlpatterns = [
    path("refuse/", refuse),
    path("conflict/", conflict),
    path("slow/", slow_down),
    path("api/refuse/", refuse),
    path("", include("config.urls")),
]
