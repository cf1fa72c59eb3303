"""The pure address matcher: normalisation, ranges, aliases, ambiguity and confidence."""

from __future__ import annotations

import pytest

from jiceng.insight.routing import (
    Gazetteer,
    Place,
    chinese_number,
    match_address,
    normalise_address,
    parse_range,
    place_score,
    street_path,
)

STREET = "00010001"
A1 = STREET + "0001"  # 柳岸社区
A1_GRID1 = A1 + "0001"
A1_GRID2 = A1 + "0002"
A2 = STREET + "0002"  # 桂香社区
OTHER_STREET_VILLAGE = "000100020001"

GAZETTEER = Gazetteer(
    [
        Place(1, 11, A1_GRID1, "buildings", ("柳岸花园", "柳岸小区"), 1, 14),
        Place(2, 12, A1_GRID2, "buildings", ("柳岸花园", "柳岸小区"), 15, 28),
        Place(3, 10, A1, "road", ("柳岸路",), 1, 199),
        Place(4, 10, A1, "road", ("湖滨路",)),
        Place(5, 20, A2, "road", ("湖滨路",)),
        Place(6, 20, A2, "estate", ("桂香苑", "桂花苑")),
        Place(7, 30, OTHER_STREET_VILLAGE, "village", ("江堤",)),
        Place(8, 31, OTHER_STREET_VILLAGE + "0001", "road", ("江堤路",)),
        Place(None, 10, A1, "unit", ("柳岸社区",)),
    ]
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("三", 3),
        ("十", 10),
        ("十二", 12),
        ("二十三", 23),
        ("一百零五", 105),
        ("两", 2),
        ("三a", None),
    ],
)
def test_chinese_numbers(text, number):
    assert chinese_number(text) == number


def test_normalise_address_drops_spaces_punctuation_and_reads_numerals():
    assert normalise_address(" 柳岸花园，十二幢 ２单元 ") == "柳岸花园12幢2单元"
    assert normalise_address("ABC路") == "abc路"


def test_parse_range():
    assert parse_range("1—14") == (1, 14)
    assert parse_range("3-3") == (3, 3)
    assert parse_range("７") == (7, 7)
    assert parse_range("14-1") is None
    assert parse_range("一到三") is None


def test_building_inside_a_range_matches_that_grid():
    match = match_address(GAZETTEER, "青禾区柳岸花园3幢2单元")
    assert match is not None
    assert (match.unit_id, match.entry_id, match.score, match.confidence) == (11, 1, 0.95, 0.95)


def test_building_numbers_in_chinese_and_aliases_count():
    match = match_address(GAZETTEER, "柳岸小区十五号楼")
    assert match is not None and (match.unit_id, match.confidence) == (12, 0.95)


def test_building_outside_every_range_falls_back_to_the_community_name():
    # 柳岸花园 30幢 is in neither range: only the community's own name (0.85) is left.
    match = match_address(GAZETTEER, "柳岸社区柳岸花园30幢")
    assert match is not None and (match.unit_path, match.entry_id, match.score) == (A1, None, 0.85)
    assert match_address(GAZETTEER, "柳岸花园30幢") is None


def test_estate_without_building_number_goes_to_the_community_of_both_grids():
    match = match_address(GAZETTEER, "柳岸花园门口")
    assert match is not None
    assert (match.unit_id, match.unit_path, match.score, match.confidence) == (None, A1, 0.8, 0.8)


def test_road_number_ranges():
    inside = match_address(GAZETTEER, "柳岸路88号")
    outside = match_address(GAZETTEER, "柳岸路300号")
    no_number = match_address(GAZETTEER, "柳岸路边上")
    assert inside is not None and inside.score == 0.85
    assert outside is None
    assert no_number is not None and no_number.score == 0.6


def test_a_shared_road_is_ambiguous_unless_the_chosen_community_has_it():
    blind = match_address(GAZETTEER, "湖滨路")
    assert blind is not None and blind.confidence == pytest.approx(0.7 - 0.5 * 0.7)
    chosen = match_address(GAZETTEER, "湖滨路", chosen_path=A2)
    assert chosen is not None
    assert (chosen.unit_id, chosen.in_chosen_line, chosen.confidence) == (20, True, 0.7)


def test_an_address_in_another_community_is_not_in_the_chosen_line():
    match = match_address(GAZETTEER, "桂花苑5幢", chosen_path=A1)
    assert match is not None
    assert (match.unit_id, match.in_chosen_line, match.confidence) == (20, False, 0.9)


def test_competing_communities_lower_the_confidence():
    # 桂香苑 (0.9, 桂香社区) against 柳岸花园 3幢 (0.95, 柳岸社区): 0.95 − 0.45 = 0.5.
    match = match_address(GAZETTEER, "桂香苑对面柳岸花园3幢")
    assert match is not None and (match.unit_id, match.confidence) == (11, 0.5)


def test_a_sibling_grid_of_the_chosen_community_is_in_line():
    match = match_address(GAZETTEER, "柳岸花园20幢", chosen_path=A1_GRID1)
    assert match is not None and (match.unit_id, match.in_chosen_line) == (12, True)


def test_the_longest_name_at_a_position_wins():
    match = match_address(GAZETTEER, "江堤路口")
    assert match is not None and match.entry_id == 8


def test_nothing_named_gives_none():
    assert match_address(GAZETTEER, "") is None
    assert match_address(GAZETTEER, "某某大街100号") is None


def test_place_score_by_kind():
    road = Place(1, 1, A1, "road", ("x路",))
    assert place_score(road, None) == 0.7
    assert place_score(Place(1, 1, A1, "landmark", ("x",)), 5) == 0.8
    assert place_score(Place(1, 1, A1, "buildings", ("x",), 1, 2), None) == 0.8
    assert place_score(Place(1, 1, A1, "buildings", ("x",), 1, 2), 3) == 0.0


def test_mapped_streets_are_those_with_entries_of_their_own():
    assert GAZETTEER.mapped_streets == {STREET, "00010002"}


@pytest.mark.parametrize(
    "path, street",
    [(A1_GRID1, STREET), (A1, STREET), (STREET, STREET), ("0001", "0001"), ("", "")],
)
def test_the_street_of_a_path(path, street):
    assert street_path(path) == street
