from __future__ import annotations

import pytest

from jiceng.cases.default_categories import load
from jiceng.cases.models import Category, Channel
from jiceng.cases.services import case_submit
from jiceng.core.actors import ANONYMOUS
from jiceng.orgs.roles import Role
from tests.factories import actor_for


@pytest.fixture(autouse=True)
def _default_categories(request):
    """The migration loads them; transactional tests flush them, so load them again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    load(Category)


@pytest.fixture
def category(db) -> Category:
    """A community-level category of the default taxonomy (loaded by a migration)."""
    return Category.objects.get(code="rubbish")


@pytest.fixture
def submit(tree, category):
    """Submit a request in 柳岸社区 as an anonymous resident; keyword arguments override."""

    def make(**overrides):
        fields = {
            "actor": ANONYMOUS,
            "category": category,
            "area": tree.community_a1,
            "title": "小区垃圾站满溢",
            "description": "柳岸路88号小区垃圾站已经三天没有清运，气味很大。",
            "channel": Channel.WEB,
        }
        fields.update(overrides)
        return case_submit(**fields)

    return make


@pytest.fixture
def actors(tree):
    """The acting Actor for each role of the tree fixture."""
    return {role: actor_for(user) for role, user in tree.people.items()}


@pytest.fixture
def secretary(actors):
    return actors[Role.BRANCH_SECRETARY]
