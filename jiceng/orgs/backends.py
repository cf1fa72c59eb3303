from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from jiceng.orgs.models import User


class UsernameOrPhoneBackend(ModelBackend):
    """Sign in with the user name or the mobile number, both case-sensitive and exact."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        user = (
            User.objects.filter(username=username).first()
            or User.objects.filter(phone=username).first()
        )
        if user is None:
            # Spend the time a real check takes, so timing does not reveal unknown accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
