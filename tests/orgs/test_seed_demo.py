from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import translation

from jiceng.core.models import AuditEntry
from jiceng.orgs.demo_data import DEMO_PASSWORD, demo_plan
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import ROLE_UNIT_KINDS, Role, UnitKind

pytestmark = pytest.mark.django_db

LEVEL_2 = (UnitKind.COMMUNITY, UnitKind.VILLAGE)
LEVEL_1 = (UnitKind.STREET, UnitKind.TOWNSHIP)


def seed() -> str:
    out = StringIO()
    # As from a shell: in the default language, whatever an earlier test's request activated.
    with translation.override(settings.LANGUAGE_CODE):
        call_command("seed_demo", "--cases", "0", "--no-evaluation", "--no-support", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        OrgUnit.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.count(),
    )


def test_builds_one_district_with_streets_townships_communities_villages_and_grids():
    seed()

    districts = OrgUnit.objects.filter(kind=UnitKind.DISTRICT)
    assert districts.count() == 1
    assert OrgUnit.objects.get_root_nodes().count() == 1
    level_1 = OrgUnit.objects.filter(kind__in=LEVEL_1)
    assert level_1.count() >= 4
    assert set(level_1.values_list("kind", flat=True)) == set(LEVEL_1)
    level_2 = OrgUnit.objects.filter(kind__in=LEVEL_2)
    assert level_2.count() >= 20
    assert set(level_2.values_list("kind", flat=True)) == set(LEVEL_2)
    for unit in level_2:
        grids = OrgUnit.objects.get_children(unit)
        assert 2 <= grids.count() <= 3, unit.code
        assert set(grids.values_list("kind", flat=True)) == {UnitKind.GRID}


def test_units_have_codes_names_addresses_and_populations_that_add_up():
    seed()

    units = list(OrgUnit.objects.all())
    codes = [unit.code for unit in units]
    assert len(codes) == len(set(codes))
    for unit in units:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}", unit.code), unit.code
        assert unit.name.strip() and unit.address.strip(), unit.code
        parent = OrgUnit.objects.get_parent(unit)
        if parent is not None:
            assert unit.code.startswith(f"{parent.code}-"), unit.code
        if unit.kind != UnitKind.GRID:
            assert re.fullmatch(r"0571-8\d{7}", unit.phone), unit.code
            children = OrgUnit.objects.get_children(unit)
            assert unit.population == sum(child.population for child in children), unit.code
    for unit in OrgUnit.objects.filter(kind=UnitKind.COMMUNITY):
        assert 3000 <= unit.population <= 15000, unit.code
    for unit in OrgUnit.objects.filter(kind=UnitKind.VILLAGE):
        assert 800 <= unit.population <= 4000, unit.code


def test_every_role_is_held_where_it_may_be_and_every_unit_is_staffed():
    seed()

    active = Membership.objects.active().select_related("unit")
    for role in Role.values:
        assert active.filter(role=role).exists(), role
    for membership in active:
        assert membership.unit.kind in ROLE_UNIT_KINDS[membership.role]
    unstaffed = OrgUnit.objects.exclude(kind=UnitKind.DISTRICT).exclude(
        pk__in=active.values("unit")
    )
    assert list(unstaffed.values_list("code", flat=True)) == []
    for unit in OrgUnit.objects.filter(kind__in=LEVEL_1):
        assert active.filter(unit=unit, role=Role.STREET_SUPERVISOR).exists(), unit.code
    for unit in OrgUnit.objects.filter(kind__in=LEVEL_2):
        assert active.filter(unit=unit, role=Role.BRANCH_SECRETARY).exists(), unit.code
        assert active.filter(unit=unit, role=Role.COMMUNITY_STAFF).exists(), unit.code
    for unit in OrgUnit.objects.filter(kind=UnitKind.GRID):
        assert active.filter(unit=unit, role=Role.GRID_WORKER).exists(), unit.code


def test_people_have_chinese_names_and_unique_fictional_mobile_numbers():
    seed()

    users = list(User.objects.all())
    assert len(users) >= 50
    for user in users:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", user.display_name), user.username
        assert user.phone is not None and re.fullmatch(r"13[89]\d{8}", user.phone), user.username
    assert len({user.phone for user in users}) == len(users)
    # Names vary: no display name is shared by more than two people.
    assert len({user.display_name for user in users}) >= len(users) - 2


def test_someone_holds_memberships_in_two_units_for_the_unit_switcher():
    seed()

    several = User.objects.annotate(
        units=Count("memberships__unit", filter=Q(memberships__is_active=True), distinct=True)
    ).filter(units__gte=2)
    assert several.exists()


def test_second_run_creates_nothing_and_prints_the_same_accounts():
    first = seed()
    before = counts()

    second = seed()

    assert counts() == before
    assert "演示数据已存在" in second
    table = [line for line in first.splitlines() if DEMO_PASSWORD in line]
    assert table
    assert table == [line for line in second.splitlines() if DEMO_PASSWORD in line]


def test_output_names_the_headline_accounts_and_the_password():
    output = seed()

    assert "sysadmin" in output
    assert DEMO_PASSWORD in output
    for person in demo_plan().people:
        if person.headline:
            assert person.username in output
            assert person.phone in output
    assert len(output.splitlines()) <= 20


def test_headline_accounts_sign_in_with_user_name_or_mobile_number():
    seed()

    headline = [person for person in demo_plan().people if person.headline]
    assert {"sysadmin", "district"} <= {person.username for person in headline}
    for person in headline:
        user = User.objects.get(username=person.username)
        assert authenticate(username=person.username, password=DEMO_PASSWORD) == user
        assert authenticate(username=person.phone, password=DEMO_PASSWORD) == user
        assert authenticate(username=person.username, password="wrong-password-1") is None


def test_every_write_went_through_the_services_audit_log():
    seed()

    actions = AuditEntry.objects.values_list("action", flat=True)
    assert list(actions).count("orgs.unit.created") == OrgUnit.objects.count()
    assert list(actions).count("orgs.user.created") == User.objects.count()
    assert list(actions).count("orgs.membership.granted") == Membership.objects.count()
    assert not AuditEntry.objects.filter(data__password=DEMO_PASSWORD).exists()


def test_seeding_next_to_existing_units_adds_only_what_is_missing():
    seed()
    grid = OrgUnit.objects.get(code="QH-DH-LA-01")
    user = User.objects.get(username="grid")
    before = counts()
    # A demo account changed by hand stays as it is.
    User.objects.filter(pk=user.pk).update(display_name="改过的名字")

    seed()

    assert counts() == before
    assert OrgUnit.objects.get(code="QH-DH-LA-01").pk == grid.pk
    assert User.objects.get(pk=user.pk).display_name == "改过的名字"
