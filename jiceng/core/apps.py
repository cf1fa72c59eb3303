from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _optimize_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """New tables and indexes get planner statistics right away (SQLite only)."""
    from jiceng.core.dbstats import sqlite_optimize

    sqlite_optimize(connections[using])


class CoreConfig(AppConfig):
    name = "jiceng.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from jiceng.core import signals  # noqa: F401

        post_migrate.connect(_optimize_after_migrate, sender=self)
