from __future__ import annotations

import logging

import pytest
from django.db import connection

from jiceng.core.models import AuditEntry
from jiceng.core.tasks import verify_audit_chain


@pytest.mark.django_db
def test_nightly_job_reports_a_broken_chain(tree, caplog):
    result = verify_audit_chain.call_local()
    assert result.ok and result.checked == AuditEntry.objects.count()
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reason = %s WHERE seq = %s", ["篡改", 3])  # noqa: S608
    with caplog.at_level(logging.ERROR, logger="jiceng.core.tasks"):
        broken = verify_audit_chain.call_local()
    assert not broken.ok and broken.first_break.seq == 3
    assert "Audit chain broken at entry #3" in caplog.text
