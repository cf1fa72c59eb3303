from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "jiceng.cases"
    label = "cases"
    verbose_name = _("Residents' requests")

    def ready(self) -> None:
        from jiceng.cases import permissions, signals  # noqa: F401  (registers policies, signals)
