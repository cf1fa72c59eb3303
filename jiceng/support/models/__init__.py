"""Guarantees (强化服务保障): venues, funds, staff and equipment, care lists.

One module per area; everything is imported here so that Django finds it.
"""

from jiceng.support.models.care import *  # noqa: F403
from jiceng.support.models.funds import *  # noqa: F403
from jiceng.support.models.staffing import *  # noqa: F403
from jiceng.support.models.venues import *  # noqa: F403
