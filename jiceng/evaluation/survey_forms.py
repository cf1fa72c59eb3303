"""Forms of the residents' assessment: the builder and distribution (staff), answers (residents).

Forms check shapes (numbers, lengths); the services decide what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from jiceng.evaluation.models import Question, QuestionKind
from jiceng.evaluation.survey_services import MAX_BATCH, QuestionSpec


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction for residents"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _numbers(text: str) -> list[int]:
    """1-based numbers typed as "1, 3" (or with Chinese commas or spaces)."""
    parts = text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    try:
        return [int(part) for part in parts if part.strip()]
    except ValueError:
        raise forms.ValidationError(_("Write numbers separated by commas, e.g. 1, 2.")) from None


class _QuestionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.position}. {obj.text}"


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    required = forms.BooleanField(label=_("An answer is required"), required=False, initial=True)
    options = forms.CharField(
        label=_("Options or matrix rows"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line. Not used for satisfaction and free-text questions."),
    )
    yes_option = forms.IntegerField(
        label=_("Option counting as “solved”"),
        required=False,
        min_value=1,
        max_value=20,
        help_text=_(
            "Only for a single-choice question asking whether the resident's problem was "
            "solved: the number of the option that means yes (1 = first)."
        ),
    )
    show_if = _QuestionChoice(
        label=_("Show only if this question…"),
        queryset=Question.objects.none(),
        required=False,
        empty_label=_("(always shown)"),
    )
    show_if_options = forms.CharField(
        label=_("…was answered with"),
        required=False,
        max_length=100,
        help_text=_(
            "Numbers of the options (1 = first), or satisfaction levels from 1 (very "
            "dissatisfied) to 5 (very satisfied), separated by commas."
        ),
    )

    def __init__(self, *args: Any, earlier: Sequence[Question] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["show_if"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Question.objects.filter(pk__in=[question.pk for question in earlier])

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        condition = question.show_if
        values = question.show_if_options
        if condition is not None and condition.kind != QuestionKind.SATISFACTION:
            values = [value + 1 for value in values]
        return {
            "kind": question.kind,
            "text": question.text,
            "required": question.required,
            "options": "\n".join(question.options),
            "yes_option": None if question.yes_option is None else question.yes_option + 1,
            "show_if": condition,
            "show_if_options": ", ".join(str(value) for value in values),
        }

    def clean_show_if_options(self) -> list[int]:
        return _numbers(self.cleaned_data.get("show_if_options") or "")

    def spec(self) -> QuestionSpec:
        """What the service takes: option numbers become indexes (levels stay 1–5)."""
        data = self.cleaned_data
        condition: Question | None = data.get("show_if")
        values = data.get("show_if_options") or []
        if condition is not None and condition.kind != QuestionKind.SATISFACTION:
            values = [value - 1 for value in values]
        yes = data.get("yes_option")
        return QuestionSpec(
            kind=data["kind"],
            text=data["text"],
            required=data.get("required", False),
            options=(data.get("options") or "").splitlines(),
            yes_option=None if yes is None else yes - 1,
            show_if=condition,
            show_if_options=values,
        )


class TokenBatchForm(forms.Form):
    count = forms.IntegerField(
        label=_("Number of households (tokens)"), min_value=1, max_value=MAX_BATCH
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        required=False,
        help_text=_("For you, e.g. the building or grid the sheet goes to."),
    )


class HouseholdsForm(forms.Form):
    households = forms.IntegerField(
        label=_("Households surveyed"), min_value=0, max_value=1_000_000
    )


class OpenLinkForm(forms.Form):
    place = forms.CharField(
        label=_("Place"),
        max_length=100,
        help_text=_("Where the poster hangs, e.g. the service centre's hall."),
    )
    per_device = forms.IntegerField(
        label=_("Answers per device"), min_value=1, max_value=10, initial=1
    )
    per_address_per_day = forms.IntegerField(
        label=_("Answers per network address a day"), min_value=1, max_value=1000, initial=20
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


# --- residents' answers ----------------------------------------------------------------------
def _int(text: str) -> int | str:
    """A choice as posted: its number, or the text itself so the service names the problem."""
    text = text.strip()
    if text.isdigit() and len(text) < 6:
        return int(text)
    return text


def answers_from_post(questions: Sequence[Question], data: QueryDict) -> dict[int, Any]:
    """The raw answers in the posted form `q<id>` (and `q<id>_<row>` for matrix rows)."""
    answers: dict[int, Any] = {}
    for question in questions:
        name = f"q{question.pk}"
        value: Any
        if question.kind in (QuestionKind.SINGLE, QuestionKind.SATISFACTION):
            raw = data.get(name, "")
            value = _int(raw) if raw.strip() else None
        elif question.kind == QuestionKind.MULTIPLE:
            value = [_int(item) for item in data.getlist(name) if item.strip()]
        elif question.kind == QuestionKind.MATRIX:
            rows = [data.get(f"{name}_{row}", "") for row in range(len(question.options))]
            value = [_int(row) if row.strip() else None for row in rows]
            if all(item is None for item in value):
                value = None
        else:
            value = data.get(name, "")
        answers[question.pk] = value
    return answers
