"""The full result table of a round as an Excel workbook (openpyxl, write-only: flat memory)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook

from jiceng.evaluation.models import Result, Round, UnitClass
from jiceng.evaluation.result_selectors import GATE_LABELS, flag_labels, grade_label


def results_workbook(round_: Round, results: Iterable[Result]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Results")[:31])
    sheet.append([round_.name, f"{round_.period_start} – {round_.period_end}"])
    sheet.append(
        [
            _("Unit code"),
            _("Unit"),
            _("Unit class"),
            _("Self-assessment"),
            _("Residents"),
            _("Superior"),
            _("Composite"),
            _("Grade"),
            _("Rank"),
            _("Units in the peer group"),
            _("Resident responses"),
            _("Raters"),
            _("Rater spread"),
            _("Flags"),
            _("Gates applied"),
        ]
    )
    classes = dict(UnitClass.choices)
    for result in results:
        details = result.details or {}
        unit = result.round_unit.unit
        sheet.append(
            [
                unit.code,
                unit.name,
                str(classes.get(result.round_unit.unit_class, result.round_unit.unit_class)),
                result.self_score,
                result.residents_score,
                result.superior_score,
                result.composite,
                str(grade_label(result.grade)) if result.grade else "",
                result.rank,
                result.peers,
                details.get("residents", {}).get("responses"),
                details.get("raters", {}).get("count"),
                details.get("raters", {}).get("spread"),
                "; ".join(str(label) for label in flag_labels(details)),
                "; ".join(str(GATE_LABELS.get(g, g)) for g in details.get("gates", [])),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
