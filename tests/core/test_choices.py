"""choice_label gives the same label as get_FOO_display(), in the active language."""

from __future__ import annotations

from django.utils import translation

from jiceng.cases.models import Case, Status
from jiceng.core.choices import choice_label


def test_same_label_as_djangos_display_in_both_languages():
    case = Case(status=Status.IN_PROGRESS)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert choice_label(Status, case.status) == case.get_status_display()
    with translation.override("en"):
        assert choice_label(Status, Status.CLOSED) == "Closed"


def test_an_unknown_value_is_shown_as_it_is():
    assert choice_label(Status, "archived-long-ago") == "archived-long-ago"
