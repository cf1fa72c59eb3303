"""Planner statistics for SQLite: ANALYZE and `PRAGMA optimize`, daily and after `migrate`.

SQLite chooses indexes from the statistics in `sqlite_stat1`, which only ANALYZE writes. Without
them, or with statistics from when a table was small, it can pick a poor index as the table grows
(docs/PERFORMANCE.md, section 2). PostgreSQL keeps its statistics itself (autovacuum): nothing to
do there.

The whole tables are analysed (about 2.5 s for a million cases). A sampled analysis
(`PRAGMA analysis_limit`, which `PRAGMA optimize` also applies by itself from SQLite 3.46 on)
was tried on a million cases and misjudged the indexes badly: the queue then joined from the
categories and sorted every case (2 s a page instead of 1 ms). Before 3.46 `PRAGMA optimize`
alone also does nothing on a fresh connection, as it only looks at tables the connection used.
"""

from __future__ import annotations

from typing import Any


def sqlite_optimize(connection: Any) -> bool:
    """Refresh the planner's statistics of a SQLite database; False for other databases."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA optimize")
    return True
