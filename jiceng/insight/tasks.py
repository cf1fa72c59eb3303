"""Background jobs of this app, one module per area (huey finds this module)."""

from jiceng.insight.tasks_classifier import *  # noqa: F403
