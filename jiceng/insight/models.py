"""Models of this app; see the app's docs page."""

from jiceng.insight.models_hot import *  # noqa: F403
