from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    label = "orgs"
    verbose_name = _("Organisation units and people")

    def ready(self) -> None:
        from jiceng.orgs import permissions, signals  # noqa: F401  (registers policies, signals)
