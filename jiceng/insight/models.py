"""Models of this app; see the app's docs page."""

from jiceng.insight.models_classifier import *  # noqa: F403
