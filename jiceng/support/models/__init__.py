"""Guarantees (强化服务保障): venues, funds, staff and equipment, care lists.

One module per area; everything is imported here so that Django finds it.
"""

from jiceng.support.models.venues import *  # noqa: F403
