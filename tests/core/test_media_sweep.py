"""Files that no record points to are removed after a day's grace; referenced files never."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from PIL import Image

from jiceng.cases.models import Attachment, Category, Channel
from jiceng.cases.services import case_submit
from jiceng.core.actors import ANONYMOUS
from jiceng.core.media_sweep import GRACE, file_fields, media_sweep, stored_names

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def _submit(tree, **extra):
    return case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="楼下垃圾桶满了",
        description="三号楼下的垃圾桶两天没有清运。",
        channel=Channel.WEB,
        **extra,
    )


def _age(name: str, by: timedelta) -> None:
    path = default_storage.path(name)
    moment = (timezone.now() - by).timestamp()
    os.utime(path, (moment, moment))


def test_every_file_field_of_the_project_is_looked_at():
    assert (Attachment, "file") in file_fields()


def test_an_old_file_without_a_record_goes_and_referenced_or_young_files_stay(tree):
    case = _submit(tree, photos=[_photo()])
    kept = case.attachments.get().file.name
    old_orphan = default_storage.save("cases/2026/01/left-behind.jpg", ContentFile(b"x"))
    young_orphan = default_storage.save("cases/2026/11/just-now.jpg", ContentFile(b"y"))
    for name in (kept, old_orphan):
        _age(name, GRACE * 3)

    report = media_sweep()

    assert report.examined == 3
    assert report.orphans == [old_orphan]
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(kept) and default_storage.exists(young_orphan)


def test_a_photo_saved_by_a_rolled_back_submission_is_found(tree):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        _submit(tree, photos=[_photo()])
        raise Abandoned
    assert not Attachment.objects.exists()
    (left,) = stored_names(default_storage)
    report = media_sweep(now=timezone.now() + GRACE * 2)
    assert report.orphans == [left]
    assert not default_storage.exists(left)


def test_a_dry_run_lists_and_removes_nothing(tree, capsys):
    name = default_storage.save("conduct/old.pdf", ContentFile(b"%PDF-1.4"))
    _age(name, GRACE * 2)
    with translation.override("en"):
        call_command("media_sweep", "--dry-run")
    out = capsys.readouterr().out
    assert name in out and "Would remove 1 orphaned file of 1 examined." in out
    assert default_storage.exists(name)
    call_command("media_sweep")
    assert not default_storage.exists(name)


def test_no_media_directory_yet_is_nothing_to_do(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "never-created"
    assert media_sweep().examined == 0
