from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "jiceng.conduct"
    label = "conduct"
    verbose_name = _("Service conduct")

    def ready(self) -> None:
        from jiceng.conduct import misconduct_crypto, permissions  # noqa: F401  (policies, checks)
