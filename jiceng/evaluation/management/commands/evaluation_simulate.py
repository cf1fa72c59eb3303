"""`manage.py evaluation_simulate [--units N --seed S]`: the manipulation check.

Purely in memory, on plain data through the scoring functions (no database): a round whose
units have a known true quality, scored clean and then with each manipulation injected, with and
without the safeguard that answers it. Printed: the rank correlation (Spearman) of the
composite with the true quality, how many units' ranks moved against the clean round, how far
the targeted units rose or fell, and whether the flags fired on them. docs/SCORING.md
("Manipulation check") records a run.

The manipulations and their safeguards:
- ballot stuffing: 150 "very satisfied" answers to a weak unit's open link from 3 phones on one
  network address in a day; safeguard: the open link's limits (1 answer per device, 20 per
  address and day), the rest refused and counted on the link (flag: `answers_kept_out`);
- a unit rating itself as residents: 12 of its staff answer "very satisfied" 4 times each from
  their own phones; safeguards: the per-device limit, and the open link's refusal of devices
  the unit's staff signed in on (`StaffDevice`; flag: `answers_kept_out`);
- a hostile rater: one of 5 raters gives a strong unit 0; safeguard: the trimmed mean from
  5 raters on (flag: rater disagreement, spread above RATER_SPREAD_FLAG).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext, pgettext_lazy

from jiceng.core.commands import OperatorCommand
from jiceng.evaluation.result_services import RATER_SPREAD_FLAG
from jiceng.evaluation.scoring import (
    CaseTally,
    ResidentTally,
    ScoringConfig,
    UnitScores,
    score_units,
)

PER_DEVICE = 1
PER_ADDRESS_PER_DAY = 20
# Trimming off: no round has this many raters.
NO_TRIMMING = ScoringConfig(trim_from_raters=1_000_000)


@dataclass(frozen=True)
class Vote:
    """One resident answer: where it came from and what it said."""

    device: str
    address: str
    day: int
    level: int
    open_link: bool = False
    staff_device: bool = False


@dataclass
class Unit:
    quality: float
    votes: list[Vote]
    yes: int
    yes_no: int
    cases: CaseTally
    raters: list[float]
    self_score: float
    targeted: set[str] = field(default_factory=set)


def limited(votes: list[Vote], *, exclude_staff: bool) -> tuple[list[Vote], int]:
    """The votes the open-link safeguards keep, and how many they kept out."""
    kept: list[Vote] = []
    per_device: dict[str, int] = {}
    per_address: dict[tuple[str, int], int] = {}
    for vote in votes:
        if vote.open_link:
            if exclude_staff and vote.staff_device:
                continue
            if per_device.get(vote.device, 0) >= PER_DEVICE:
                continue
            if per_address.get((vote.address, vote.day), 0) >= PER_ADDRESS_PER_DAY:
                continue
            per_device[vote.device] = per_device.get(vote.device, 0) + 1
            per_address[(vote.address, vote.day)] = per_address.get((vote.address, vote.day), 0) + 1
        kept.append(vote)
    return kept, len(votes) - len(kept)


def generate(units: int, seed: int) -> list[Unit]:
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0.2, 0.95, units)
    made = []
    for index, q in enumerate(quality):
        count = int(rng.integers(40, 121))
        levels = np.clip(np.rint(rng.normal(1 + 4 * q, 0.9, count)), 1, 5).astype(int)
        votes = [
            Vote(
                f"u{index}-t{n}",
                f"net{int(rng.integers(0, 400))}",
                int(rng.integers(0, 20)),
                int(v),
            )
            for n, v in enumerate(levels)
        ]
        yes = int(rng.binomial(count, q))

        def pair(rate: float, size: int = 60) -> tuple[int, int]:
            return (int(rng.binomial(size, min(1.0, max(0.0, rate)))), size)

        cases = CaseTally(
            response=pair(0.6 + 0.4 * q),
            resolution=pair(0.5 + 0.5 * q),
            satisfaction=pair(0.4 + 0.6 * q),
            on_time=pair(0.55 + 0.45 * q),
            no_feedback=pair(0.5 - 0.45 * q),
        )
        raters = [float(np.clip(100 * q + rng.normal(0, 6), 0, 100)) for _ in range(5)]
        self_score = float(np.clip(100 * q + 8 + rng.normal(0, 5), 0, 100))
        made.append(Unit(float(q), votes, yes, count, cases, raters, self_score))
    return made


def _targets(units: list[Unit], *, weakest: bool, share: float = 0.1) -> list[int]:
    order = np.argsort([unit.quality for unit in units])
    count = max(1, int(len(units) * share))
    chosen = order[:count] if weakest else order[::-1][:count]
    return [int(index) for index in chosen]


def stuff_ballots(units: list[Unit]) -> list[Unit]:
    changed = list(units)
    for index in _targets(units, weakest=True):
        unit = units[index]
        fake = [Vote(f"u{index}-bot{n % 3}", "bot-net", 3, 5, open_link=True) for n in range(150)]
        changed[index] = replace(unit, votes=unit.votes + fake, targeted={"stuffing"})
    return changed


def self_as_residents(units: list[Unit]) -> list[Unit]:
    changed = list(units)
    for index in _targets(units, weakest=True):
        unit = units[index]
        fake = [
            Vote(f"u{index}-staff{n % 12}", f"office{index}", n // 12, 5, True, True)
            for n in range(48)
        ]
        changed[index] = replace(unit, votes=unit.votes + fake, targeted={"self"})
    return changed


def hostile_rater(units: list[Unit]) -> list[Unit]:
    changed = list(units)
    for index in _targets(units, weakest=False):
        unit = units[index]
        changed[index] = replace(unit, raters=[0.0, *unit.raters[1:]], targeted={"hostile"})
    return changed


@dataclass(frozen=True)
class Outcome:
    scenario: str
    safeguards: bool
    spearman: float
    moved: int
    target_shift: float  # mean absolute rank change of the targeted units
    flagged_targets: int
    targets: int
    flagged_others: int


def _score(units: list[Unit], *, safeguards: bool) -> tuple[np.ndarray, list[bool]]:
    config = ScoringConfig() if safeguards else NO_TRIMMING
    scores: dict[int, UnitScores] = {}
    flags: list[bool] = []
    for index, unit in enumerate(units):
        votes, excluded = limited(unit.votes, exclude_staff=True) if safeguards else (unit.votes, 0)
        counts = [0, 0, 0, 0, 0]
        for vote in votes:
            counts[vote.level - 1] += 1
        # Open-link votes are the injected ones here; each also answers "solved: yes".
        extra = sum(vote.open_link for vote in votes)
        scores[index] = UnitScores(
            unit_class="community",
            peer_group="community",
            self_score=unit.self_score,
            rater_scores=tuple(unit.raters),
            answers=ResidentTally(
                (counts[0], counts[1], counts[2], counts[3], counts[4]),
                yes=unit.yes + extra,
                yes_no=unit.yes_no + extra,
            ),
            cases=unit.cases,
        )
        spread = float(np.std(unit.raters))
        flags.append(excluded > 0 or spread > RATER_SPREAD_FLAG)
    results = score_units(scores, config)
    ranks = np.array([results[index].rank or len(units) for index in range(len(units))])
    return ranks, flags


def _spearman(ranks: np.ndarray, quality: np.ndarray) -> float:
    true_ranks = np.argsort(np.argsort(-quality)) + 1
    return float(np.corrcoef(ranks, true_ranks)[0, 1])


def simulate(units: int = 200, seed: int = 2026) -> list[Outcome]:
    clean = generate(units, seed)
    quality = np.array([unit.quality for unit in clean])
    base_ranks, _flags = _score(clean, safeguards=True)
    outcomes = [
        Outcome(
            "none",
            True,
            _spearman(base_ranks, quality),
            0,
            0.0,
            0,
            0,
            sum(_flags),
        )
    ]
    manipulations: list[tuple[str, Callable[[list[Unit]], list[Unit]]]] = [
        ("ballot stuffing", stuff_ballots),
        ("unit rates itself", self_as_residents),
        ("hostile rater", hostile_rater),
        ("all three", lambda us: hostile_rater(self_as_residents(stuff_ballots(us)))),
    ]
    for name, manipulate in manipulations:
        changed = manipulate(clean)
        targets = [index for index, unit in enumerate(changed) if unit.targeted]
        for safeguards in (False, True):
            ranks, flags = _score(changed, safeguards=safeguards)
            baseline = base_ranks if safeguards else _score(clean, safeguards=False)[0]
            outcomes.append(
                Outcome(
                    scenario=name,
                    safeguards=safeguards,
                    spearman=_spearman(ranks, quality),
                    moved=int(np.sum(ranks != baseline)),
                    target_shift=float(np.mean(np.abs(ranks[targets] - baseline[targets]))),
                    flagged_targets=sum(flags[index] for index in targets),
                    targets=len(targets),
                    flagged_others=sum(
                        flag for index, flag in enumerate(flags) if index not in targets
                    ),
                )
            )
    return outcomes


# The scenarios' names in the report, in the active language.
SCENARIOS = {
    "none": pgettext_lazy("manipulation", "none"),
    "ballot stuffing": pgettext_lazy("manipulation", "ballot stuffing"),
    "unit rates itself": pgettext_lazy("manipulation", "unit rates itself"),
    "hostile rater": pgettext_lazy("manipulation", "hostile rater"),
    "all three": pgettext_lazy("manipulation", "all three"),
}


def report(outcomes: list[Outcome], units: int, seed: int) -> str:
    """The outcomes as a Markdown table, in the active language."""
    on, off = pgettext("safeguards", "on"), pgettext("safeguards", "off")
    lines = [
        _("Manipulation check: %(units)d units, seed %(seed)d (rank 1 = best)")
        % {"units": units, "seed": seed},
        "",
        _(
            "| manipulation | safeguards | Spearman vs true quality | ranks moved | "
            "targets' mean rank change | targets flagged | others flagged |"
        ),
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for outcome in outcomes:
        lines.append(
            f"| {SCENARIOS[outcome.scenario]} | {on if outcome.safeguards else off} | "
            f"{outcome.spearman:.3f} | {outcome.moved} | {outcome.target_shift:.1f} | "
            f"{outcome.flagged_targets}/{outcome.targets} | {outcome.flagged_others} |"
        )
    return "\n".join(lines)


class Command(OperatorCommand):
    help = gettext_noop(
        "Simulate a round with known true quality, inject ballot stuffing, self-rating and a "
        "hostile rater, and report how far ranks move with and without the safeguards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--units", type=int, default=200, help=_("Units in the round."))
        parser.add_argument("--seed", type=int, default=2026, help=_("Random seed."))

    def handle(self, *args: Any, **options: Any) -> None:
        units = options["units"]
        if not 10 <= units <= 100_000:
            raise CommandError(_("--units must lie within 10–100000."))
        self.stdout.write(report(simulate(units, options["seed"]), units, options["seed"]))
