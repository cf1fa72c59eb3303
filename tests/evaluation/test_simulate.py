"""The manipulation check: safeguards must undo most of what each manipulation does."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiceng.evaluation.management.commands.evaluation_simulate import Vote, limited, simulate


def test_safeguards_reduce_rank_movement_and_flag_the_targets():
    outcomes = {(o.scenario, o.safeguards): o for o in simulate(units=60, seed=7)}
    clean = outcomes[("none", True)]
    assert clean.moved == 0 and clean.flagged_others == 0
    for scenario in ("ballot stuffing", "unit rates itself", "hostile rater", "all three"):
        off, on = outcomes[(scenario, False)], outcomes[(scenario, True)]
        assert off.moved > 0, scenario
        assert on.moved < off.moved, scenario
        assert on.target_shift < off.target_shift / 2, scenario
        assert on.spearman >= off.spearman, scenario
        assert on.flagged_targets == on.targets, scenario
        assert on.flagged_others == 0, scenario


def test_the_open_link_limits_keep_one_answer_per_device_and_twenty_per_address_a_day():
    votes = [Vote(f"phone{n % 30}", "net", 1, 5, open_link=True) for n in range(90)]
    votes += [Vote("token-phone", "net", 1, 3)]  # token answers are not open-link answers
    kept, excluded = limited(votes, exclude_staff=True)
    assert len(kept) == 21 and excluded == 70
    staff = [Vote("staff", "office", 1, 5, open_link=True, staff_device=True)]
    assert limited(staff, exclude_staff=True) == ([], 1)


def test_the_command_prints_the_table():
    out = io.StringIO()
    with translation.override("en"):
        call_command("evaluation_simulate", "--units", "30", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "| ballot stuffing | off |" in text and "| hostile rater | on |" in text
    with pytest.raises(CommandError):
        call_command("evaluation_simulate", "--units", "2")
