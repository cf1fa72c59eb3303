from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.utils import translation

from jiceng.core.process_cache import forget_all
from jiceng.orgs.models import OrgUnit, User
from jiceng.orgs.roles import Role, UnitKind
from tests.factories import make_member, make_unit


def _clear_cache_of_this_worker() -> None:
    """Empty the cache; on Redis only this test process's keys, as other workers share it."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        for key in client.scan_iter(f"{backend.key_prefix}:*"):
            client.delete(key)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    _clear_cache_of_this_worker()
    forget_all()
    yield
    _clear_cache_of_this_worker()
    forget_all()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language, whatever a request of an earlier test in this
    thread activated; a test that checks English text says so with translation.override("en")."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@dataclass
class Tree:
    """Two streets, each with two communities with one grid each, and one person per role."""

    district: OrgUnit
    street_a: OrgUnit
    street_b: OrgUnit
    community_a1: OrgUnit
    community_a2: OrgUnit
    community_b1: OrgUnit
    grid_a1: OrgUnit
    grid_b1: OrgUnit
    people: dict[str, User]

    def unit_of(self, role: str) -> OrgUnit:
        return {
            Role.GRID_WORKER: self.grid_a1,
            Role.COMMUNITY_STAFF: self.community_a1,
            Role.BRANCH_SECRETARY: self.community_a1,
            Role.STREET_SUPERVISOR: self.street_a,
            Role.DISCIPLINE_INSPECTOR: self.street_a,
            Role.DISTRICT_ADMIN: self.district,
            Role.SYSTEM_ADMIN: self.district,
        }[role]


@pytest.fixture
def tree(db) -> Tree:
    district = make_unit(None, UnitKind.DISTRICT, "青禾区", code="QH")
    street_a = make_unit(district, UnitKind.STREET, "东湖街道", code="QH-DH")
    street_b = make_unit(district, UnitKind.TOWNSHIP, "石泉镇", code="QH-SQ")
    community_a1 = make_unit(street_a, UnitKind.COMMUNITY, "柳岸社区", code="QH-DH-LA")
    community_a2 = make_unit(street_a, UnitKind.COMMUNITY, "桂香社区", code="QH-DH-GX")
    community_b1 = make_unit(street_b, UnitKind.VILLAGE, "泉水村", code="QH-SQ-QS")
    grid_a1 = make_unit(community_a1, UnitKind.GRID, "柳岸第一网格", code="QH-DH-LA-01")
    grid_b1 = make_unit(community_b1, UnitKind.GRID, "泉水第一网格", code="QH-SQ-QS-01")
    tree = Tree(
        district, street_a, street_b, community_a1, community_a2, community_b1, grid_a1, grid_b1, {}
    )
    for role in Role.values:
        tree.people[role] = make_member(tree.unit_of(role), role, username=role)
    return tree


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skips where Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt: chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def artefacts() -> Path:
    """Where browser tests keep screenshots; CI keeps this folder."""
    folder = settings.ARTEFACTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder
