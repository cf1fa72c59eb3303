from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "jiceng.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self) -> None:
        from jiceng.insight import permissions_classifier  # noqa: F401  (registers policies)
