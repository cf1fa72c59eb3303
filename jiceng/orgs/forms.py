from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiceng.core.actors import Actor
from jiceng.core.ratelimit import client_ip
from jiceng.orgs import throttle
from jiceng.orgs.models import OrgUnit, phone_validator, unit_code_validator
from jiceng.orgs.roles import ADMIN_ROLES, CHILD_KINDS, Capability, Role, UnitKind
from jiceng.orgs.selectors import units_visible


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("User name or mobile number"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": _(
            "The user name, mobile number or password is not right. Both are case-sensitive."
        ),
        "inactive": _("This account has been deactivated. Ask your administrator."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        ip = client_ip(self.request) if self.request else "unknown"
        minutes = throttle.minutes_locked(username, ip)
        if minutes:
            raise ValidationError(
                ngettext(
                    "Too many failed sign-ins. Try again in %(minutes)d minute.",
                    "Too many failed sign-ins. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(username, ip)
            raise
        throttle.record_success(username)
        return cleaned


class UnitCodeField(forms.CharField):
    """A unit picked by its code, among the units the actor may see."""

    def __init__(self, *, actor: Actor, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("label", _("Unit code"))
        super().__init__(**kwargs)
        self.actor = actor

    def clean(self, value: Any) -> OrgUnit:
        code = super().clean(value)
        unit = units_visible(self.actor).filter(code=code, is_active=True).first()
        if unit is None:
            raise ValidationError(
                _("No active unit with the code %(code)s is among the units you serve."),
                params={"code": code},
            )
        return unit


def _role_choices(actor: Actor) -> list[tuple[str, str]]:
    grant_admin = actor.system or actor.has_capability(Capability.GRANT_ADMIN_ROLES)
    return [
        (value, str(label))
        for value, label in Role.choices
        if grant_admin or value not in ADMIN_ROLES
    ]


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    population = forms.IntegerField(label=_("Population served"), min_value=0, max_value=50_000_000)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Office telephone"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class UnitCreateForm(UnitForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        validators=[unit_code_validator],
        help_text=_("A short, permanent identifier, for example QH-DH-01."),
    )
    kind = forms.ChoiceField(label=_("Kind"))

    field_order = ["code", "name", "kind", "population", "address", "phone"]

    def __init__(self, *args: Any, parent: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (kind, UnitKind(kind).label) for kind in CHILD_KINDS.get(parent.kind, ())
        ]


class _PasswordPairForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2", "")
        if first and first != second:
            raise ValidationError(_("The two passwords differ."))
        return second


class PersonFieldsForm(forms.Form):
    display_name = forms.CharField(label=_("Name to display"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile number"), max_length=11, required=False, validators=[phone_validator]
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class UserCreateForm(PersonFieldsForm, _PasswordPairForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[RegexValidator(r"^[\w.@+-]+$", _("Use only letters, digits and @ . + - _."))],
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    role = forms.ChoiceField(label=_("Role"))
    title = forms.CharField(label=_("Position"), max_length=50, required=False)

    field_order = [
        "username",
        "display_name",
        "phone",
        "email",
        "preferred_language",
        "unit",
        "role",
        "title",
        "password1",
        "password2",
    ]

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitCodeField(actor=actor)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(actor)
        self.order_fields(self.field_order)


class UserEditForm(PersonFieldsForm):
    pass


class PasswordResetForm(_PasswordPairForm):
    pass


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    title = forms.CharField(label=_("Position"), max_length=50, required=False)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitCodeField(actor=actor)
        cast(forms.ChoiceField, self.fields["role"]).choices = _role_choices(actor)
        self.order_fields(["unit", "role", "title"])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )


class UnitSearchForm(forms.Form):
    q = forms.CharField(label=_("Search units"), max_length=100, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *UnitKind.choices]
    )


class SwitchActingForm(forms.Form):
    membership = forms.IntegerField(min_value=1)
