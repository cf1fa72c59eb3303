from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "jiceng.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self) -> None:
        # Registers the permission policies and the routing cache's invalidation.
        from jiceng.insight import (  # noqa: F401
            permissions_classifier,
            permissions_hot,
            permissions_routing,
            signals_routing,
        )
