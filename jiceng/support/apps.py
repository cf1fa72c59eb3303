from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Each area of the app keeps its models, policies and services in modules of its own.
AREAS = ("venues", "funds", "care")


class SupportConfig(AppConfig):
    name = "jiceng.support"
    label = "support"
    verbose_name = _("Guarantees")

    def ready(self) -> None:
        for area in AREAS:
            try:
                import_module(f"jiceng.support.permissions_{area}")  # registers policies
            except ModuleNotFoundError as error:
                if error.name != f"jiceng.support.permissions_{area}":
                    raise
