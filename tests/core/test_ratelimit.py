"""Fixed-window rate limits on the shared cache."""

from __future__ import annotations

import threading

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path

from jiceng.core import ratelimit
from jiceng.core.errors import RateLimited
from jiceng.core.ratelimit import (
    SqliteStore,
    check,
    client_ip,
    hit,
    peek,
    rate_limit,
    reset,
    store,
)

# The conftest clears the cache around every test.
WINDOW = 60


@pytest.fixture(params=["cache", "sqlite"])
def counter_store(request, settings, tmp_path):
    """Every behaviour below holds for both counter stores."""
    settings.RATELIMIT_STORE = request.param
    settings.RATELIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    return request.param


@pytest.fixture
def clock(monkeypatch, counter_store):
    """A settable time.time() for the module: starts at 1000.0 (bucket 16 of 60-second windows)."""

    class Clock:
        now = 1000.0

    monkeypatch.setattr(ratelimit.time, "time", lambda: Clock.now)
    return Clock


def test_hit_counts_events_in_the_window(clock):
    windows = [hit("login", "alice", limit=3, window_seconds=WINDOW) for _ in range(4)]
    assert [window.count for window in windows] == [1, 2, 3, 4]
    assert [window.exceeded for window in windows] == [False, False, False, True]
    assert all(window.limit == 3 for window in windows)
    # Bucket 16 ends at 17 * 60 = 1020: 20 seconds left, plus one for the boundary.
    assert {window.retry_after for window in windows} == {21}


def test_check_raises_after_the_limit(clock):
    for _ in range(3):
        check("login", "alice", limit=3, window_seconds=WINDOW)
    clock.now = 1010.5
    with pytest.raises(RateLimited) as raised:
        check("login", "alice", limit=3, window_seconds=WINDOW)
    assert raised.value.status == 429
    assert raised.value.code == "rate_limited"
    # int(1020 - 1010.5) + 1 = 10
    assert raised.value.retry_after == 10
    # It keeps refusing inside the window.
    with pytest.raises(RateLimited):
        check("login", "alice", limit=3, window_seconds=WINDOW)


def test_retry_after_is_positive_at_the_end_of_a_window(clock):
    clock.now = 1019.999
    for _ in range(2):
        hit("s", "x", limit=1, window_seconds=WINDOW)
    with pytest.raises(RateLimited) as raised:
        check("s", "x", limit=1, window_seconds=WINDOW)
    assert raised.value.retry_after == 1


def test_a_new_window_starts_a_new_count(clock):
    for _ in range(3):
        check("login", "alice", limit=3, window_seconds=WINDOW)
    clock.now = 1019.9  # still bucket 16
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 3
    clock.now = 1020.0  # bucket 17
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 0
    check("login", "alice", limit=3, window_seconds=WINDOW)
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 1
    # retry_after in the new window: int(1080 - 1020) + 1
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).retry_after == 61


def test_window_length_changes_the_bucket(clock):
    hit("s", "x", limit=5, window_seconds=WINDOW)
    # The same scope and identity with another window length counts separately.
    assert peek("s", "x", limit=5, window_seconds=300).count == 0
    assert peek("s", "x", limit=5, window_seconds=WINDOW).count == 1


def test_identities_and_scopes_do_not_interfere(clock):
    for _ in range(3):
        check("login", "alice", limit=3, window_seconds=WINDOW)
    with pytest.raises(RateLimited):
        check("login", "alice", limit=3, window_seconds=WINDOW)
    # Bob in the same scope, and Alice in another scope, start from zero.
    check("login", "bob", limit=3, window_seconds=WINDOW)
    check("intake", "alice", limit=3, window_seconds=WINDOW)
    assert peek("login", "bob", limit=3, window_seconds=WINDOW).count == 1
    assert peek("intake", "alice", limit=3, window_seconds=WINDOW).count == 1
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 4


def test_identities_that_look_alike_are_separate(clock):
    hit("login", "10.0.0.1", limit=3, window_seconds=WINDOW)
    assert peek("login", "10.0.0.10", limit=3, window_seconds=WINDOW).count == 0
    assert peek("login", "用户", limit=3, window_seconds=WINDOW).count == 0
    hit("login", "用户", limit=3, window_seconds=WINDOW)
    assert peek("login", "用户", limit=3, window_seconds=WINDOW).count == 1


def test_reset_clears_the_count(clock):
    for _ in range(4):
        hit("login", "alice", limit=3, window_seconds=WINDOW)
    hit("login", "bob", limit=3, window_seconds=WINDOW)
    reset("login", "alice", window_seconds=WINDOW)
    assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 0
    assert peek("login", "bob", limit=3, window_seconds=WINDOW).count == 1
    check("login", "alice", limit=3, window_seconds=WINDOW)  # allowed again
    assert hit("login", "alice", limit=3, window_seconds=WINDOW).count == 2


def test_peek_does_not_count(clock):
    for _ in range(5):
        window = peek("login", "alice", limit=3, window_seconds=WINDOW)
        assert window.count == 0
        assert not window.exceeded
    hit("login", "alice", limit=3, window_seconds=WINDOW)
    for _ in range(5):
        assert peek("login", "alice", limit=3, window_seconds=WINDOW).count == 1
    assert hit("login", "alice", limit=3, window_seconds=WINDOW).count == 2


def test_disabled_rate_limits_neither_count_nor_raise(settings, clock):
    settings.RATELIMIT_ENABLED = False
    for _ in range(10):
        check("login", "alice", limit=1, window_seconds=WINDOW)
    assert peek("login", "alice", limit=1, window_seconds=WINDOW).count == 0
    settings.RATELIMIT_ENABLED = True
    check("login", "alice", limit=1, window_seconds=WINDOW)
    with pytest.raises(RateLimited):
        check("login", "alice", limit=1, window_seconds=WINDOW)


# --- client_ip --------------------------------------------------------------------------------


def test_client_ip_uses_remote_addr_and_ignores_forwarded_for_without_a_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert client_ip(request) == "203.0.113.7"


def test_client_ip_trusts_the_proxys_forwarded_for_behind_a_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client may send its own X-Forwarded-For; the proxy appends the address it saw last.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9 "
    )
    assert client_ip(request) == "198.51.100.9"
    # Without the header, the proxy's own address is all there is.
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_client_ip_without_an_address(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) == "unknown"


# --- the view decorator -------------------------------------------------------------------------


@rate_limit("test.ping", limit=2, window_seconds=WINDOW)
def ping(request, name="world"):
    return HttpResponse(f"hello {name}")


@rate_limit("test.search", limit=1, window_seconds=WINDOW, methods=("GET", "POST"))
def search(request):
    return HttpResponse("results")


@rate_limit("test.by_header", limit=1, window_seconds=WINDOW, identity=lambda r: r.headers["X-Who"])
def by_header(request):
    return HttpResponse("ok")


# The project's pages plus two rate-limited ones (the error page links to the project's pages).
urlpatterns = [
    path("test-ping/", ping),
    path("api/test-ping/", ping),
    path("", include("config.urls")),
]


def test_the_decorator_counts_only_the_listed_methods(clock):
    factory = RequestFactory()
    for _ in range(5):
        assert ping(factory.get("/ping/", REMOTE_ADDR="203.0.113.7")).status_code == 200
    assert peek("test.ping", "203.0.113.7", limit=2, window_seconds=WINDOW).count == 0
    for _ in range(2):
        response = ping(factory.post("/ping/", REMOTE_ADDR="203.0.113.7"), name="青禾")
        assert response.content.decode() == "hello 青禾"
    with pytest.raises(RateLimited) as raised:
        ping(factory.post("/ping/", REMOTE_ADDR="203.0.113.7"))
    assert raised.value.retry_after == 21
    # Reading still works, and another address may still post.
    assert ping(factory.get("/ping/", REMOTE_ADDR="203.0.113.7")).status_code == 200
    assert ping(factory.post("/ping/", REMOTE_ADDR="203.0.113.8")).status_code == 200
    assert ping.__name__ == "ping"


def test_the_decorator_with_other_methods_and_identity(clock):
    factory = RequestFactory()
    search(factory.get("/"))
    with pytest.raises(RateLimited):
        search(factory.get("/"))
    assert by_header(factory.post("/", HTTP_X_WHO="a")).status_code == 200
    assert by_header(factory.post("/", HTTP_X_WHO="b")).status_code == 200
    with pytest.raises(RateLimited):
        by_header(factory.post("/", HTTP_X_WHO="a"))


@pytest.mark.urls(__name__)
def test_the_middleware_answers_429_as_a_problem_document(client, clock):
    for _ in range(2):
        assert client.post("/api/test-ping/", REMOTE_ADDR="203.0.113.7").status_code == 200
    response = client.post("/api/test-ping/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert response["Retry-After"] == "21"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429
    assert body["code"] == "rate_limited"
    assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.urls(__name__)
def test_the_middleware_answers_429_as_a_page(client, clock):
    for _ in range(2):
        assert client.post("/test-ping/", REMOTE_ADDR="203.0.113.7").status_code == 200
    response = client.post("/test-ping/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert response["Retry-After"] == "21"
    assert response["Content-Type"].startswith("text/html")
    assert response.context["status"] == 429
    assert response.context["message"] is RateLimited.default_message
    assert response.templates[0].name == "core/error.html"


def test_the_sqlite_store_is_shared_by_every_process_on_the_host(tmp_path):
    path = str(tmp_path / "counters.sqlite3")
    one, other = SqliteStore(path), SqliteStore(path)  # as two web processes open it
    assert [one.incr("k", 60), other.incr("k", 60), one.incr("k", 60)] == [1, 2, 3]
    assert other.get("k") == 3
    other.delete("k")
    assert one.get("k") == 0


def test_the_sqlite_store_counts_every_event_under_concurrency(tmp_path):
    path = str(tmp_path / "counters.sqlite3")
    counts: list[int] = []

    def count() -> None:
        counter = SqliteStore(path)
        counts.extend(counter.incr("busy", 60) for _ in range(50))

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SqliteStore(path).get("busy") == 400
    assert sorted(counts) == list(range(1, 401))  # no two events got the same count


def test_an_expired_sqlite_counter_starts_again(tmp_path, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    counter = SqliteStore(str(tmp_path / "counters.sqlite3"))
    assert [counter.incr("k", 10), counter.incr("k", 10)] == [1, 2]
    now[0] += 11
    assert counter.get("k") == 0
    assert counter.incr("k", 10) == 1


def test_settings_choose_the_store(settings, tmp_path):
    settings.RATELIMIT_STORE = "sqlite"
    settings.RATELIMIT_SQLITE_PATH = str(tmp_path / "a.sqlite3")
    chosen = store()
    assert isinstance(chosen, SqliteStore) and chosen.path == settings.RATELIMIT_SQLITE_PATH
    settings.RATELIMIT_STORE = "cache"
    assert isinstance(store(), ratelimit.CacheStore)
