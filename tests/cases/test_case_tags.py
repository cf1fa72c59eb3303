"""The list row and status badges, rendered in Python for speed, say what the template said."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation

from jiceng.cases.models import Priority
from jiceng.cases.templatetags.case_tags import case_row, case_status


def test_status_badges_in_each_language_with_overdue_and_urgent(submit):
    case = submit(priority=Priority.URGENT)
    with translation.override("en"):
        html = case_status(case)
    assert html.count('class="badge') == 2
    assert 'text-bg-primary">Submitted<' in html and 'text-bg-warning">Urgent<' in html
    assert "Overdue" not in html
    case.respond_by = timezone.now() - timedelta(minutes=1)  # not accepted in time
    with translation.override("zh-hans"):
        html = case_status(case)
    assert 'text-bg-danger">已超期<' in html
    assert 'text-bg-primary">' in html and 'text-bg-warning">' in html


def test_a_row_links_to_the_case_and_escapes_what_residents_wrote(submit):
    case = submit(title="<b>楼道</b>堆物")
    with translation.override("zh-hans"):
        row = case_row(case)
    assert f'href="{reverse("case_detail", args=[case.pk])}"' in row
    assert "&lt;b&gt;楼道&lt;/b&gt;堆物" in row and "<b>" not in row
    assert case.tracking_code in row and case.area.name in row
    assert case.current_unit.name in row and case.category.display_name in row
    local = timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M")
    assert local in row
