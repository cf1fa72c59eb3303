"""Drop the single-column index of `Case.current_unit`: `case_queue_idx` (current_unit, status,
resolve_by) starts with the same column and serves the foreign key's lookups, and with both
SQLite chose the single-column one for the worklist (docs/PERFORMANCE.md, section 2).

Only the index goes: on SQLite Django's AlterField would copy the whole table to change
`db_index`, so the database side drops the index by name (found by introspection) instead.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

COLUMN = "current_unit_id"


def _single_column_indexes(schema_editor: Any, table: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [COLUMN]
    ]


def drop_index(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    for name in _single_column_indexes(schema_editor, Case._meta.db_table):
        schema_editor.execute(schema_editor._delete_index_sql(Case, name))


def restore_index(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    if _single_column_indexes(schema_editor, Case._meta.db_table):
        return
    field = Case._meta.get_field("current_unit")
    schema_editor.execute(schema_editor._create_index_sql(Case, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_rate_indexes_and_unique_import_numbers"),
        ("orgs", "0001_users_units_memberships_api_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="current_unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases_held",
                        to="orgs.orgunit",
                        verbose_name="with unit",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, restore_index)],
        ),
    ]
