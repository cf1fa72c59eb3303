"""Signing in records the device for the open links' staff check (survey_services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from jiceng.core import devices
from jiceng.evaluation import survey_services
from jiceng.orgs.models import User


@receiver(user_logged_in, dispatch_uid="evaluation.staff_device")
def remember_staff_device(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    if request is None:
        return
    # The sign-in view chose the device's id first (a new one becomes its cookie).
    value = devices.current_device_id(request)
    if value:
        survey_services.staff_device_record(user=user, device_id=value)
