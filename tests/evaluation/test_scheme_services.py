"""Indicator scheme services: defaults, drafts, publishing, versions, validation, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation import scheme_services as services
from jiceng.evaluation.default_scheme import DEFAULT_SCHEMES
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus, ScoringRule, UnitClass
from jiceng.evaluation.scheme_services import IndicatorData
from jiceng.evaluation.scoring import CASE_METRICS, GUARANTEE_METRICS
from jiceng.evaluation.snapshot import scheme_snapshot
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_scheme
from tests.factories import actor_for


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English, the source language.
    with translation.override("en"):
        yield


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _draft(admin, tree, family="trial"):
    return services.scheme_create(
        actor=admin,
        owner=tree.district,
        family=family,
        name="试行指标体系",
        unit_class=UnitClass.COMMUNITY,
    )


def _checklist(code="c1", **overrides):
    data = {
        "code": code,
        "name": "值班制度",
        "weight": Decimal("50"),
        "max_points": Decimal("10"),
        "rule": ScoringRule.CHECKLIST,
        "rule_options": {"items": ["公示值班表", "按时开门"]},
    }
    data.update(overrides)
    return IndicatorData(**data)


def _actions():
    entries = AuditEntry.objects.filter(action__startswith="evaluation.").order_by("seq")
    return list(entries.values_list("action", flat=True))


class TestDefaults:
    def test_installs_one_published_scheme_per_unit_class_once(self, tree, admin):
        created = services.scheme_install_defaults(actor=admin, owner=tree.district)
        assert sorted(s.unit_class for s in created) == sorted(UnitClass.values)
        assert all(s.status == SchemeStatus.PUBLISHED for s in created)
        assert services.scheme_install_defaults(actor=admin, owner=tree.district) == []
        assert Scheme.objects.count() == 3

    def test_default_weights_sum_to_100_per_level_and_publish_cleanly(self, tree, admin):
        services.scheme_install_defaults(actor=admin, owner=tree.district)
        for scheme in Scheme.objects.all():
            snapshot = scheme_snapshot(scheme)
            dimensions = snapshot["dimensions"]
            assert [d["name"] for d in dimensions] == [
                "转变思想观念",
                "改进服务作风",
                "强化服务保障",
                "群众满意",
            ]
            assert sum(Decimal(d["weight"]) for d in dimensions) == 100
            for dimension in dimensions:
                assert sum(Decimal(i["weight"]) for i in dimension["indicators"]) == 100
            assert services.publish_problems(scheme) == []

    def test_defaults_mix_every_rule_and_cover_every_case_metric(self, tree, admin):
        services.scheme_install_defaults(actor=admin, owner=tree.district)
        for scheme in Scheme.objects.all():
            rows = scheme.indicators.exclude(parent=None)
            assert set(rows.values_list("rule", flat=True)) == set(ScoringRule.values)
            metrics = {r.rule_options["metric"] for r in rows if r.rule == ScoringRule.METRIC}
            # Every case metric but the optional reply-quality ones, plus the guarantee metrics
            # of the guarantees dimension (scored in the superior's source).
            optional = {"reply_quality", "perfunctory"}
            assert metrics - set(GUARANTEE_METRICS) == set(CASE_METRICS) - optional
            assert rows.filter(evidence_required=True).exists()

    def test_defaults_put_guarantee_metrics_in_the_guarantees_dimension(self, tree, admin):
        services.scheme_install_defaults(actor=admin, owner=tree.district)
        expected = {
            "community-default": {"c-venue-open": "venue_open", "c-care-visits": "care_visits"},
            "village-default": {"v-venue-open": "venue_open", "v-care-visits": "care_visits"},
            "street-default": {
                "s-rectification": "rectification",
                "s-fund-execution": "fund_execution",
            },
        }
        for scheme in Scheme.objects.all():
            rows = scheme.indicators.filter(
                rule=ScoringRule.METRIC, rule_options__metric__in=GUARANTEE_METRICS
            ).select_related("parent")
            assert {r.code: r.rule_options["metric"] for r in rows} == expected[scheme.family]
            assert {r.parent.name for r in rows} == {"强化服务保障"}
            assert not any(r.scored_by_self or r.scored_by_superior for r in rows)

    def test_management_command_installs_for_the_district(self, tree, capsys):
        call_command("evaluation_default_schemes")
        assert Scheme.objects.filter(owner=tree.district).count() == len(DEFAULT_SCHEMES)
        with translation.override("en"):
            call_command("evaluation_default_schemes")
        assert "nothing changed" in capsys.readouterr().out
        assert Scheme.objects.count() == len(DEFAULT_SCHEMES)


class TestDrafts:
    def test_build_and_publish_a_scheme(self, tree, admin):
        scheme = _draft(admin, tree)
        dimension = services.indicator_add(
            actor=admin,
            scheme=scheme,
            parent=None,
            data=IndicatorData(code="d1", name="服务作风", weight=Decimal("100")),
        )
        services.indicator_add(actor=admin, scheme=scheme, parent=dimension, data=_checklist())
        services.indicator_add(
            actor=admin,
            scheme=scheme,
            parent=dimension,
            data=_checklist(
                "m1",
                rule=ScoringRule.METRIC,
                rule_options={"metric": "on_time", "target": 0.95, "floor": 0.6},
            ),
        )
        published = services.scheme_publish(actor=admin, scheme=scheme)
        assert published.status == SchemeStatus.PUBLISHED and published.published_at
        metric = Indicator.objects.get(scheme=scheme, code="m1")
        # Metrics come from case data: nobody scores them by hand, so no evidence either.
        assert (metric.scored_by_self, metric.scored_by_superior) == (False, False)
        assert _actions() == [
            "evaluation.scheme.created",
            "evaluation.scheme.indicator_added",
            "evaluation.scheme.indicator_added",
            "evaluation.scheme.indicator_added",
            "evaluation.scheme.published",
        ]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"code": "has space"}, "code", "letters, digits"),
            ({"code": "d1"}, "code", "Another indicator"),
            ({"name": " "}, "name", "required"),
            ({"weight": Decimal("-1")}, "weight", "from 0"),
            ({"max_points": Decimal("0")}, "max_points", "above 0"),
            ({"rule": ""}, "rule", "Choose a scoring rule"),
            ({"rule_options": {"items": []}}, "rule_options", "at least one"),
            ({"rule_options": {"items": ["a", "a"]}}, "rule_options", "twice"),
            (
                {"rule": ScoringRule.SCALE, "rule_options": {"top": 0}},
                "rule_options",
                "whole number",
            ),
            (
                {"rule": ScoringRule.DEDUCTION, "rule_options": {"per_item": 20}},
                "rule_options",
                "cannot exceed",
            ),
            (
                {"rule": ScoringRule.METRIC, "rule_options": {"metric": "speed"}},
                "rule_options",
                "on_time",
            ),
            (
                {
                    "rule": ScoringRule.METRIC,
                    "rule_options": {"metric": "response", "target": 0.9, "floor": 0.9},
                },
                "rule_options",
                "must differ",
            ),
            (
                {
                    "rule": ScoringRule.METRIC,
                    "rule_options": {"metric": "response", "target": 1.5, "floor": 0.5},
                },
                "rule_options",
                "from 0 to 1",
            ),
            (
                {"scored_by_self": False, "scored_by_superior": False},
                "scored_by_superior",
                "who scores",
            ),
        ],
    )
    def test_bad_indicator_changes_nothing(self, tree, admin, overrides, field, message):
        scheme = _draft(admin, tree)
        dimension = services.indicator_add(
            actor=admin,
            scheme=scheme,
            parent=None,
            data=IndicatorData(code="d1", name="维度", weight=Decimal("1")),
        )
        rows, entries = Indicator.objects.count(), AuditEntry.objects.count()
        with pytest.raises(DomainError) as caught:
            services.indicator_add(
                actor=admin, scheme=scheme, parent=dimension, data=_checklist(**overrides)
            )
        assert caught.value.field == field
        assert message in str(caught.value.message)
        assert (Indicator.objects.count(), AuditEntry.objects.count()) == (rows, entries)

    def test_a_dimension_has_no_rule(self, tree, admin):
        scheme = _draft(admin, tree)
        with pytest.raises(DomainError, match="no scoring rule"):
            services.indicator_add(actor=admin, scheme=scheme, parent=None, data=_checklist("d1"))

    def test_publish_lists_every_problem_and_changes_nothing(self, tree, admin):
        empty = _draft(admin, tree, "empty")
        with pytest.raises(DomainError, match="at least one dimension"):
            services.scheme_publish(actor=admin, scheme=empty)
        scheme = _draft(admin, tree)
        zero = services.indicator_add(
            actor=admin,
            scheme=scheme,
            parent=None,
            data=IndicatorData(code="d1", name="空维度", weight=Decimal("0")),
        )
        with pytest.raises(DomainError) as caught:
            services.scheme_publish(actor=admin, scheme=scheme)
        assert "weight must be above 0" in str(caught.value)
        assert "has no indicators" in str(caught.value)
        # Rows changed behind the services' back are caught too.
        services.indicator_add(actor=admin, scheme=scheme, parent=zero, data=_checklist())
        Indicator.objects.filter(code="c1").update(rule_options={"top": 3})
        with pytest.raises(DomainError, match="checklist item"):
            services.scheme_publish(actor=admin, scheme=scheme)
        scheme.refresh_from_db()
        assert scheme.status == SchemeStatus.DRAFT and scheme.published_at is None
        assert "evaluation.scheme.published" not in _actions()

    def test_move_up_down_and_into_another_dimension(self, tree, admin):
        scheme = make_scheme(tree.district, published=False)
        visits = Indicator.objects.get(scheme=scheme, code="visits")
        services.indicator_move(actor=admin, indicator=visits, direction="up")
        order = scheme.indicators.filter(parent__code="service").order_by("position")
        assert [i.code for i in order] == ["visits", "duty-roster"]
        with pytest.raises(DomainError, match="edge"):
            services.indicator_move(actor=admin, indicator=visits, direction="up")
        outcome = Indicator.objects.get(scheme=scheme, code="outcome")
        services.indicator_move(actor=admin, indicator=visits, direction="into", parent=outcome)
        order = scheme.indicators.filter(parent=outcome).order_by("position")
        assert [i.code for i in order] == ["on-time", "complaints", "visits"]
        assert [i.position for i in order] == [1, 2, 3]
        entry = (
            AuditEntry.objects.filter(action="evaluation.scheme.indicator_moved")
            .order_by("seq")
            .last()
        )
        assert entry.data == {"code": "visits", "direction": "into", "parent": "outcome"}

    def test_update_and_delete_record_what_changed(self, tree, admin):
        scheme = make_scheme(tree.district, published=False)
        visits = Indicator.objects.get(scheme=scheme, code="visits")
        services.indicator_update(
            actor=admin,
            indicator=visits,
            data=IndicatorData(
                code="visits",
                name="入户走访",
                weight=Decimal("2"),
                max_points=Decimal("5"),
                rule=ScoringRule.SCALE,
                rule_options={"top": 5},
            ),
        )
        entry = AuditEntry.objects.get(action="evaluation.scheme.indicator_updated")
        assert entry.data["changes"] == {"weight": ["1.00", "2.00"]}
        service = Indicator.objects.get(scheme=scheme, code="service")
        services.indicator_delete(actor=admin, indicator=service)
        assert list(scheme.indicators.values_list("code", flat=True).order_by("code")) == [
            "complaints",
            "on-time",
            "outcome",
        ]
        assert Indicator.objects.get(scheme=scheme, code="outcome").position == 1
        entry = AuditEntry.objects.get(action="evaluation.scheme.indicator_deleted")
        assert sorted(entry.data["codes"]) == ["duty-roster", "service", "visits"]


class TestVersions:
    def test_published_scheme_refuses_edits(self, tree, admin):
        scheme = make_scheme(tree.district)
        visits = Indicator.objects.get(scheme=scheme, code="visits")
        before = scheme_snapshot(scheme)
        calls = [
            lambda: services.indicator_add(
                actor=admin, scheme=scheme, parent=None, data=IndicatorData(code="x", name="x")
            ),
            lambda: services.indicator_update(actor=admin, indicator=visits, data=_checklist("v")),
            lambda: services.indicator_delete(actor=admin, indicator=visits),
            lambda: services.indicator_move(actor=admin, indicator=visits, direction="up"),
            lambda: services.scheme_update(actor=admin, scheme=scheme, name="新名字"),
            lambda: services.scheme_publish(actor=admin, scheme=scheme),
            lambda: services.scheme_delete(actor=admin, scheme=scheme),
        ]
        for call in calls:
            with pytest.raises(DomainError, match="Only a draft"):
                call()
        assert scheme_snapshot(scheme) == before
        assert not AuditEntry.objects.filter(action__startswith="evaluation.").exists()

    def test_new_version_leaves_the_published_one_unchanged(self, tree, admin):
        v1 = make_scheme(tree.district)
        before = scheme_snapshot(v1)
        v2 = services.scheme_new_version(actor=admin, scheme=v1)
        assert (v2.family, v2.version, v2.status, v2.based_on) == (
            v1.family,
            2,
            SchemeStatus.DRAFT,
            v1,
        )
        visits = Indicator.objects.get(scheme=v2, code="visits")
        services.indicator_delete(actor=admin, indicator=visits)
        assert scheme_snapshot(v1) == before
        with pytest.raises(DomainError, match="already has a draft"):
            services.scheme_new_version(actor=admin, scheme=v1)
        services.scheme_publish(actor=admin, scheme=v2)
        v1.refresh_from_db()
        assert v1.status == SchemeStatus.RETIRED
        assert scheme_snapshot(v1) == before
        entry = AuditEntry.objects.get(action="evaluation.scheme.published")
        assert entry.data == {"family": v1.family, "version": 2, "retired_versions": [1]}

    def test_a_version_number_taken_meanwhile_is_a_conflict(self, tree, admin, monkeypatch):
        v1 = make_scheme(tree.district)
        # As if another request had created version 1 between our check and our insert.
        monkeypatch.setattr(services, "_next_version", lambda family: 1)
        with pytest.raises(Conflict, match="meanwhile"):
            services.scheme_new_version(actor=admin, scheme=v1)
        assert Scheme.objects.count() == 1
        assert not AuditEntry.objects.filter(action__startswith="evaluation.").exists()

    def test_clone_for_another_unit_class(self, tree, admin):
        source = make_scheme(tree.district)
        copy = services.scheme_clone(
            actor=admin,
            scheme=source,
            family="village-2027",
            name="村指标体系",
            unit_class=UnitClass.VILLAGE,
        )
        assert (copy.version, copy.unit_class, copy.status) == (
            1,
            UnitClass.VILLAGE,
            SchemeStatus.DRAFT,
        )
        ours, theirs = scheme_snapshot(copy), scheme_snapshot(source)
        assert ours["dimensions"] == theirs["dimensions"]
        with pytest.raises(DomainError, match="Another scheme uses this code"):
            services.scheme_clone(
                actor=admin, scheme=source, family="village-2027", unit_class=UnitClass.VILLAGE
            )
        with pytest.raises(DomainError, match="keeps the unit class"):
            services.scheme_clone(actor=admin, scheme=source, unit_class=UnitClass.STREET)
        assert AuditEntry.objects.filter(action="evaluation.scheme.cloned").count() == 1

    def test_clone_without_family_is_the_next_version(self, tree, admin):
        source = make_scheme(tree.district)
        copy = services.scheme_clone(actor=admin, scheme=source)
        assert (copy.family, copy.version) == (source.family, 2)

    def test_delete_draft(self, tree, admin):
        scheme = make_scheme(tree.district, published=False)
        services.scheme_delete(actor=admin, scheme=scheme)
        assert not Scheme.objects.exists() and not Indicator.objects.exists()
        assert AuditEntry.objects.filter(action="evaluation.scheme.deleted").exists()


class TestPermissions:
    @pytest.mark.parametrize("role", [r for r in Role.values if r != Role.DISTRICT_ADMIN])
    def test_only_district_admins_write(self, tree, role):
        actor = actor_for(tree.people[role])
        with pytest.raises(Forbidden):
            services.scheme_create(
                actor=actor,
                owner=tree.district,
                family="x",
                name="x",
                unit_class=UnitClass.COMMUNITY,
            )
        with pytest.raises(Forbidden):
            services.scheme_install_defaults(actor=actor, owner=tree.district)
        assert not Scheme.objects.exists()

    def test_system_installs(self, tree):
        assert len(services.scheme_install_defaults(actor=SYSTEM, owner=tree.district)) == 3


class TestRuleOptionsText:
    @pytest.mark.parametrize(
        ("rule", "options"),
        [
            (ScoringRule.CHECKLIST, {"items": ["公示值班表", "按时开门"]}),
            (ScoringRule.SCALE, {"top": 5}),
            (ScoringRule.DEDUCTION, {"per_item": 2.5}),
            (ScoringRule.METRIC, {"metric": "no_feedback", "target": 0.1, "floor": 0.5}),
        ],
    )
    def test_round_trip(self, rule, options):
        text = services.rule_options_text(rule, options)
        assert services.clean_rule_options(rule, services.parse_rule_options(rule, text)) == options

    def test_full_width_separators_are_accepted(self):
        parsed = services.parse_rule_options(ScoringRule.SCALE, "top＝7")
        assert services.clean_rule_options(ScoringRule.SCALE, parsed) == {"top": 7}
