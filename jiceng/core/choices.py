"""Labels of choices, for code that renders many rows."""

from __future__ import annotations

from django.db import models


def choice_label(choices: type[models.Choices], value: object) -> str:
    """The label of `value` in the active language, or the value itself when it is unknown.

    Django's `get_FOO_display()` translates the label of every choice to find one; a list of
    cases spent half of each row there.
    """
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
