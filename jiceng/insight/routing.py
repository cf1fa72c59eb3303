"""Where a free-text address is: a pure matcher over the gazetteer (no queries here).

The address is normalised (full-width to half-width, spaces and punctuation dropped, Chinese
numerals before 号/幢/栋/楼/单元 turned into digits), then every place name (and alias) it
contains is looked up; a name that is followed by a number is checked against the entry's
number range (柳岸花园 1—14幢 matches "柳岸花园3幢", not "柳岸花园15幢"). Each matching entry
scores by its kind (PLACE_SCORES); the best unit wins and the confidence says how sure the
match is (docs/INSIGHT.md, "Routing"):

- if the winner lies in the line of the community the resident chose (the same unit, one above
  or below it), the address confirms the choice: confidence = the winner's score;
- otherwise confidence = winner's score − ½ × the best score of any other community, so two
  communities that both have the name cancel each other out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from jiceng.orgs.models import OrgUnit

STREET_DEPTH = 2  # a street's (or township's) path has 2 steps
COMMUNITY_DEPTH = 3
CONFIDENCE_THRESHOLD = 0.6

# Score of a matching entry by kind; `*_ranged` when the number in the address lies in the
# entry's range, `*_unnumbered` when the address gives no number for a ranged entry.
PLACE_SCORES = {
    "buildings": 0.95,
    "buildings_unnumbered": 0.8,
    "estate": 0.9,
    "village": 0.9,
    "unit": 0.85,  # the name of a community or village itself (柳岸社区, 泉水村)
    "landmark": 0.8,
    "road_ranged": 0.85,
    "road_unnumbered": 0.6,
    "road": 0.7,
}
MIN_NAME_LENGTH = 2

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS.update({"七": 7, "八": 8, "九": 9})
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+(?=号|幢|栋|楼|单元|座|弄|期)")
_NUMBER_AFTER = re.compile(r"^(?:[a-z]区)?(\d{1,5})(?:号楼|号院|号|幢|栋|座|弄|楼)")
_RANGE_DASH = re.compile(r"[-~—–－至到]")


def chinese_number(text: str) -> int | None:
    """十二 → 12, 二十三 → 23, 一百零五 → 105, 三 → 3; None for anything else."""
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def normalise_address(text: str) -> str:
    """Comparable form of an address: NFKC, lower case, no spaces or punctuation, numerals
    before 号/幢/栋/楼/单元 as digits."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _CN_NUMBER.sub(lambda m: str(chinese_number(m.group(0)) or m.group(0)), text)
    return _DROP.sub("", text)


@dataclass(frozen=True)
class Place:
    """One gazetteer entry as the matcher sees it. `entry_id` is None for a unit's own name."""

    entry_id: int | None
    unit_id: int
    unit_path: str
    kind: str
    names: tuple[str, ...]
    number_from: int | None = None
    number_to: int | None = None


@dataclass
class Gazetteer:
    """The places of a deployment, indexed by the first two characters of each name."""

    places: Sequence[Place]
    _by_prefix: dict[str, list[tuple[str, Place]]] = field(default_factory=dict, repr=False)
    # Streets (paths) with places of their own: only there can an address be "not recognised".
    mapped_streets: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        self.mapped_streets = frozenset(
            street_path(place.unit_path) for place in self.places if place.entry_id is not None
        )
        for place in self.places:
            for name in {normalise_address(name) for name in place.names}:
                if len(name) >= MIN_NAME_LENGTH:
                    self._by_prefix.setdefault(name[:2], []).append((name, place))
        for names in self._by_prefix.values():
            names.sort(key=lambda item: (-len(item[0]), item[0]))

    def found(self, address: str) -> Iterable[tuple[Place, int | None]]:
        """Each place named in the (normalised) address, with the number written after it.

        Where names of different length start at the same character, only the longest counts
        (江堤路 the road, not 江堤 the hamlet); every place of that name does (an estate's
        building ranges)."""
        for start in range(len(address) - 1):
            longest = ""
            for name, place in self._by_prefix.get(address[start : start + 2], ()):
                if longest and len(name) < len(longest):
                    break
                if (not longest or name == longest) and address.startswith(name, start):
                    longest = name
                    after = _NUMBER_AFTER.match(address[start + len(name) : start + len(name) + 10])
                    yield place, int(after.group(1)) if after else None


def place_score(place: Place, number: int | None) -> float:
    """How strongly a place named in an address (with the number after it) points to its unit."""
    if place.number_from is None or place.number_to is None:
        return PLACE_SCORES[place.kind]
    if number is None:
        key = "buildings_unnumbered" if place.kind == "buildings" else "road_unnumbered"
        return PLACE_SCORES[key]
    if not place.number_from <= number <= place.number_to:
        return 0.0
    return PLACE_SCORES["buildings"] if place.kind == "buildings" else PLACE_SCORES["road_ranged"]


@dataclass(frozen=True)
class Match:
    unit_id: int | None  # None: the unit at `unit_path` (a common parent of equal matches)
    unit_path: str
    entry_id: int | None
    score: float
    confidence: float
    in_chosen_line: bool


def street_path(path: str) -> str:
    """The path of the street (or township) a unit's path lies in; the path itself for a street
    or the district."""
    return path[: OrgUnit.steplen * STREET_DEPTH]


def community_path(path: str) -> str:
    """The path of the community (or village) a unit's path lies in; shorter paths as they are."""
    return path[: OrgUnit.steplen * COMMUNITY_DEPTH]


def _common_path(paths: Sequence[str]) -> str:
    shortest = min(len(path) for path in paths)
    end = 0
    step = OrgUnit.steplen
    while end + step <= shortest and len({p[: end + step] for p in paths}) == 1:
        end += step
    return paths[0][:end]


def _in_line(path: str, chosen_path: str) -> bool:
    """Whether a unit lies in the chosen one's line: the same community, or above or below."""
    community = OrgUnit.steplen * COMMUNITY_DEPTH
    if len(path) >= community and len(chosen_path) >= community:
        return community_path(path) == community_path(chosen_path)
    return path.startswith(chosen_path) or chosen_path.startswith(path)


def match_address(gazetteer: Gazetteer, address: str, *, chosen_path: str = "") -> Match | None:
    """The unit the address points to, with its confidence; None when no place is named."""
    text = normalise_address(address)
    best: dict[str, tuple[float, Place]] = {}  # by unit path
    for place, number in gazetteer.found(text):
        score = place_score(place, number)
        if score > 0 and score > best.get(place.unit_path, (0.0, place))[0]:
            best[place.unit_path] = (score, place)
    if not best:
        return None

    def rank(item: tuple[str, tuple[float, Place]]) -> tuple[float, bool, int]:
        path, (score, _place) = item
        return (score, bool(chosen_path) and _in_line(path, chosen_path), len(path))

    path, (score, place) = max(best.items(), key=rank)
    unit_id: int | None = place.unit_id
    tied = [
        p
        for p, (s, _place) in best.items()
        if s == score and not (p.startswith(path) or path.startswith(p))
    ]
    if tied and not (bool(chosen_path) and _in_line(path, chosen_path)):
        # Equal evidence for several units (an estate's grids, when no building is named):
        # their common unit, if it is a community or below.
        common = _common_path([path, *tied])
        if len(common) >= OrgUnit.steplen * COMMUNITY_DEPTH:
            path, unit_id = common, None
    in_line = bool(chosen_path) and _in_line(path, chosen_path)
    if in_line:
        confidence = score
    else:
        others = [s for p, (s, _place) in best.items() if community_path(p) != community_path(path)]
        confidence = score - 0.5 * max(others, default=0.0)
    return Match(
        unit_id=unit_id,
        unit_path=path,
        entry_id=place.entry_id,
        score=round(score, 3),
        confidence=round(max(confidence, 0.0), 3),
        in_chosen_line=in_line,
    )


def parse_range(text: str) -> tuple[int, int] | None:
    """'1—14' / '1-14' / '1至14' → (1, 14); a single number n → (n, n); None if unreadable."""
    parts = [part for part in _RANGE_DASH.split(unicodedata.normalize("NFKC", text)) if part]
    try:
        numbers = [int(part.strip()) for part in parts]
    except ValueError:
        return None
    if len(numbers) == 1:
        return numbers[0], numbers[0]
    if len(numbers) == 2 and numbers[0] <= numbers[1]:
        return numbers[0], numbers[1]
    return None
