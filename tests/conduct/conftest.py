from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from jiceng.conduct.supervision_services import FindingInput, inspection_record
from jiceng.orgs.roles import Role
from tests.factories import actor_for

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def actors(tree):
    return {role: actor_for(user) for role, user in tree.people.items()}


def png(name: str = "photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def record_visit(tree, actors):
    """Record a visit by the street supervisor to 柳岸社区; keyword arguments override."""

    def make(findings=None, **overrides):
        fields = {
            "actor": actors[Role.STREET_SUPERVISOR],
            "unit": tree.community_a1,
            "visited_on": timezone.localdate() - timedelta(days=1),
            "people_met": "王书记、李网格员",
            "checked": "党群服务中心开放情况、台账",
            "findings": findings
            if findings is not None
            else [
                FindingInput(
                    title="服务中心开放时间未公示",
                    note="门口没有公示牌",
                    owner=tree.people[Role.COMMUNITY_STAFF],
                    weight=2,
                )
            ],
        }
        fields.update(overrides)
        return inspection_record(**fields)

    return make


@pytest.fixture
def item(tree, record_visit):
    """One open item of 柳岸社区 from a supervision visit."""
    from jiceng.conduct.models import RectificationItem

    record_visit()
    return RectificationItem.objects.get()
