"""Business rules of units, people, memberships and API keys, through the services."""

from __future__ import annotations

import pytest

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs import services
from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User
from jiceng.orgs.roles import Role, UnitKind
from tests.factories import PASSWORD, UserFactory, actor_for, make_member, make_unit


def _entries(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


class TestUnits:
    def test_a_child_must_be_of_a_kind_allowed_under_its_parent(self, tree):
        with pytest.raises(DomainError) as error:
            services.unit_create(
                actor=SYSTEM, parent=tree.street_a, code="X-1", name="错层", kind=UnitKind.GRID
            )
        assert error.value.field == "kind"
        assert not OrgUnit.objects.filter(code="X-1").exists()

    def test_codes_are_unique(self, tree):
        with pytest.raises(DomainError) as error:
            services.unit_create(
                actor=SYSTEM, parent=tree.street_a, code="QH-DH-LA", name="重复", kind="community"
            )
        assert error.value.field == "code"

    def test_district_admin_adds_a_unit_and_it_is_audited(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        unit = services.unit_create(
            actor=admin, parent=tree.street_b, code="QH-SQ-NEW", name="新村", kind="village"
        )
        assert OrgUnit.objects.get_parent(unit, update=True) == tree.street_b
        assert tree.district.contains(unit) and not tree.street_a.contains(unit)
        entry = AuditEntry.objects.get(action="orgs.unit.created", target_id=str(unit.pk))
        assert entry.actor_user == tree.people[Role.DISTRICT_ADMIN]
        assert entry.data == {"code": "QH-SQ-NEW", "kind": "village", "parent": "QH-SQ"}

    def test_street_supervisor_cannot_add_or_edit_units(self, tree):
        supervisor = actor_for(tree.people[Role.STREET_SUPERVISOR])
        with pytest.raises(Forbidden):
            services.unit_create(
                actor=supervisor, parent=tree.street_a, code="N1", name="新社区", kind="community"
            )
        with pytest.raises(Forbidden):
            services.unit_update(
                actor=supervisor,
                unit=tree.street_a,
                name="改名",
                population=1,
                address="",
                phone="",
                is_active=True,
            )
        tree.street_a.refresh_from_db()
        assert tree.street_a.name == "东湖街道"

    def test_update_records_what_changed(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        services.unit_update(
            actor=admin,
            unit=tree.community_a1,
            name="柳岸新村社区",
            population=8200,
            address="柳岸路1号",
            phone="",
            is_active=True,
        )
        entry = AuditEntry.objects.filter(action="orgs.unit.updated").latest("seq")
        assert entry.data["changes"] == {
            "name": ["柳岸社区", "柳岸新村社区"],
            "population": [0, 8200],
            "address": ["", "柳岸路1号"],
        }

    def test_negative_population_is_refused(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(DomainError):
            services.unit_update(
                actor=admin,
                unit=tree.street_a,
                name="东湖街道",
                population=-1,
                address="",
                phone="",
                is_active=True,
            )


class TestPeople:
    def _create(self, actor, **overrides):
        fields = {
            "username": "liming",
            "display_name": "李明",
            "password": PASSWORD,
            "unit": overrides.pop("unit", None),
            "role": Role.COMMUNITY_STAFF,
            "phone": "13912345678",
        }
        fields.update(overrides)
        return services.user_create(actor=actor, **fields)

    def test_create_gives_the_first_role_and_keeps_the_password_out_of_the_log(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        user = self._create(admin, unit=tree.community_a2)
        assert user.check_password(PASSWORD)
        assert Membership.objects.get(user=user).unit == tree.community_a2
        entry = AuditEntry.objects.get(action="orgs.user.created", target_id=str(user.pk))
        assert entry.data == {"username": "liming", "unit": "QH-DH-GX", "role": "community_staff"}
        assert not AuditEntry.objects.filter(data__icontains=PASSWORD).exists()

    def test_a_verifiable_password_hash_may_stand_for_the_password(self, tree):
        from django.contrib.auth.hashers import make_password

        user = self._create(
            SYSTEM,
            unit=tree.community_a2,
            password=None,
            password_hash=make_password("Moon-over-the-lake-3"),
        )
        assert user.check_password("Moon-over-the-lake-3")
        for bad in (
            {"password_hash": "plain-text"},
            {"password": PASSWORD, "password_hash": "x"},
            {},
        ):
            with pytest.raises(DomainError) as error:
                self._create(
                    SYSTEM,
                    unit=tree.community_a2,
                    username="other",
                    phone=None,
                    **{"password": None, **bad},
                )
            assert error.value.field == "password"

    def test_overlong_fields_are_refused_with_a_field_error(self, tree):
        with pytest.raises(DomainError) as error:
            self._create(SYSTEM, unit=tree.community_a2, title="职" * 51)
        assert error.value.field == "title"
        with pytest.raises(DomainError) as error:
            services.unit_create(
                actor=SYSTEM,
                parent=tree.street_a,
                code="bad code!",
                name="坏代码",
                kind="community",
            )
        assert error.value.field == "code"
        with pytest.raises(DomainError) as error:
            services.unit_create(
                actor=SYSTEM, parent=tree.street_a, code="OK-1", name="名" * 101, kind="community"
            )
        assert error.value.field == "name"
        assert not User.objects.filter(username="liming").exists()

    def test_role_must_fit_the_unit_kind(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(DomainError) as error:
            self._create(admin, unit=tree.grid_a1, role=Role.STREET_SUPERVISOR)
        assert error.value.field == "role"
        assert not User.objects.filter(username="liming").exists()

    def test_only_system_admins_grant_admin_roles(self, tree):
        district_admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(Forbidden):
            self._create(district_admin, unit=tree.district, role=Role.SYSTEM_ADMIN)
        system_admin = actor_for(tree.people[Role.SYSTEM_ADMIN])
        user = self._create(system_admin, unit=tree.district, role=Role.DISTRICT_ADMIN)
        assert user.memberships.get().role == Role.DISTRICT_ADMIN

    def test_weak_password_duplicate_name_and_phone_are_refused(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(DomainError) as error:
            self._create(admin, unit=tree.community_a1, password="12345678")
        assert error.value.field == "password"
        self._create(admin, unit=tree.community_a1)
        with pytest.raises(DomainError) as error:
            self._create(admin, unit=tree.community_a1, phone="13900000000")
        assert error.value.field == "username"
        with pytest.raises(DomainError) as error:
            self._create(admin, unit=tree.community_a1, username="other")
        assert error.value.field == "phone"

    def test_a_phone_like_user_name_must_be_the_own_number(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(DomainError) as error:
            self._create(admin, unit=tree.community_a1, username="13812345678")
        assert error.value.field == "username"

    def test_deactivation_needs_a_reason_and_not_oneself(self, tree):
        admin_user = tree.people[Role.DISTRICT_ADMIN]
        admin = actor_for(admin_user)
        worker = tree.people[Role.GRID_WORKER]
        with pytest.raises(DomainError):
            services.user_set_active(actor=admin, user=worker, is_active=False, reason=" ")
        services.user_set_active(actor=admin, user=worker, is_active=False, reason="调离")
        worker.refresh_from_db()
        assert not worker.is_active
        assert AuditEntry.objects.get(action="orgs.user.deactivated").reason == "调离"
        with pytest.raises(Forbidden):
            services.user_set_active(actor=admin, user=admin_user, is_active=False, reason="x")

    def test_district_admin_cannot_touch_a_system_admin(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        with pytest.raises(Forbidden):
            services.user_reset_password(
                actor=admin, user=tree.people[Role.SYSTEM_ADMIN], password="another-long-pass-7"
            )

    def test_memberships_end_with_a_reason_and_stay_in_history(self, tree):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        worker = tree.people[Role.GRID_WORKER]
        membership = worker.memberships.get()
        services.membership_end(actor=admin, membership=membership, reason="换岗")
        membership.refresh_from_db()
        assert not membership.is_active and membership.ended_at is not None
        with pytest.raises(DomainError):
            services.membership_end(actor=admin, membership=membership, reason="again")
        again = services.membership_grant(
            actor=admin, user=worker, unit=tree.grid_a1, role=Role.GRID_WORKER
        )
        assert Membership.objects.filter(user=worker).count() == 2
        assert again.is_active
        with pytest.raises(DomainError):
            services.membership_grant(
                actor=admin, user=worker, unit=tree.grid_a1, role=Role.GRID_WORKER
            )

    def test_grants_stay_inside_the_actors_subtree(self, tree):
        # A second district beside the first: its admin may not act in ours, nor ours in it.
        other_district = make_unit(None, UnitKind.DISTRICT, "临江区", code="LJ")
        other_admin = actor_for(
            make_member(other_district, Role.DISTRICT_ADMIN, username="lj-admin")
        )
        person = UserFactory()
        with pytest.raises(Forbidden):
            services.membership_grant(
                actor=other_admin, user=person, unit=tree.grid_b1, role=Role.GRID_WORKER
            )
        with pytest.raises(Forbidden):
            services.unit_create(
                actor=other_admin, parent=tree.street_a, code="LJ-X", name="越界", kind="community"
            )
        assert not Membership.objects.filter(user=person).exists()


class TestApiKeys:
    def test_key_is_shown_once_stored_hashed_and_authenticates(self, tree):
        api_key, raw = services.api_key_create(actor=SYSTEM, name="12345热线", unit=tree.street_a)
        assert raw.startswith("jc_") and raw not in api_key.key_hash
        assert services.api_key_authenticate(raw) == api_key
        assert services.api_key_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
        assert services.api_key_authenticate("garbage") is None
        services.api_key_revoke(actor=SYSTEM, api_key=api_key, reason="泄露")
        assert services.api_key_authenticate(raw) is None
        assert ApiKey.objects.get(pk=api_key.pk).revoked_reason == "泄露"
        assert _entries("orgs.api_key.created") == 1 and _entries("orgs.api_key.revoked") == 1
