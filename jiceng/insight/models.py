"""Models of this app, one module per area; see docs/INSIGHT.md."""

from jiceng.insight.models_classifier import *  # noqa: F403
from jiceng.insight.models_hot import *  # noqa: F403
from jiceng.insight.models_routing import *  # noqa: F403
