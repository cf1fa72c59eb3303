"""Background jobs of this app, one module per area (huey finds this module)."""

from jiceng.insight.tasks_classifier import *  # noqa: F403
from jiceng.insight.tasks_duplicates import *  # noqa: F403
from jiceng.insight.tasks_hot import *  # noqa: F403
