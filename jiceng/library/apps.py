from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "jiceng.library"
    label = "library"
    verbose_name = _("Experience library")

    def ready(self) -> None:
        from jiceng.library import permissions  # noqa: F401  (registers the policies)
