"""Models of this app; see the app's docs page."""

from jiceng.insight.models_hot import *  # noqa: F403
from jiceng.insight.models_routing import *  # noqa: F403
