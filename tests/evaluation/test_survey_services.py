"""The residents' assessment services: questionnaire, tokens, open links, answers.

The fixtures here (`survey_round`, `admin`, `supervisor`) are shared with the other
test_survey_* and test_answer_* modules, which import them.
"""

from __future__ import annotations

import math
import re
import string
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from jiceng.core.audit import AuditEntry
from jiceng.core.errors import Conflict, DomainError, Forbidden, NotFound
from jiceng.evaluation import survey_services as services
from jiceng.evaluation.models import (
    Answer,
    Question,
    QuestionKind,
    Round,
    RoundState,
    RoundUnit,
    SurveyResponse,
    SurveyToken,
    UnitClass,
)
from jiceng.evaluation.survey_selectors import token_digest
from jiceng.evaluation.survey_services import QuestionSpec
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


@pytest.fixture
def supervisor(tree):
    """Street supervisor of 东湖街道: oversees 柳岸社区 and 桂香社区, not 泉水村."""
    return actor_for(tree.people[Role.STREET_SUPERVISOR])


@pytest.fixture
def secretary(tree):
    """Branch secretary of 柳岸社区 itself."""
    return actor_for(tree.people[Role.BRANCH_SECRETARY])


@pytest.fixture
def survey_round(tree, admin) -> Round:
    """A round in the residents' stage with the default questionnaire."""
    schemes = [
        make_scheme(tree.district, UnitClass.COMMUNITY),
        make_scheme(tree.district, UnitClass.VILLAGE),
    ]
    round_ = make_open_round(
        tree.district,
        [tree.community_a1, tree.community_a2, tree.community_b1],
        schemes,
        state=RoundState.SELF,
    )
    services.survey_create_default(round_=round_, actor=admin)
    round_.state = RoundState.RESIDENTS
    round_.stage_deadline = timezone.now() + timedelta(days=10)
    round_.save()
    return round_


def unit_of(round_: Round, unit) -> RoundUnit:
    return RoundUnit.objects.get(round=round_, unit=unit)


def questions_by_key(round_: Round) -> dict[str, Question]:
    """The default questions by their role: overall, raised, solved, services, aspects, …"""
    keys = ["overall", "raised", "solved", "services", "aspects", "improve", "suggest"]
    return dict(zip(keys, round_.survey.questions.order_by("position"), strict=True))


def good_answers(round_: Round, *, overall: int = 5, solved: int | None = 0) -> dict[int, object]:
    q = questions_by_key(round_)
    answers: dict[int, object] = {
        q["overall"].pk: overall,
        q["raised"].pk: 0 if solved is not None else 1,
        q["services"].pk: [0, 3],
        q["aspects"].pk: [5, 4, 4, 3],
    }
    if solved is not None:
        answers[q["solved"].pk] = solved
    return answers


def issue(round_: Round, unit, actor, count: int = 3) -> list[str]:
    _batch, tokens = services.token_batch_create(
        round_unit=unit_of(round_, unit), actor=actor, count=count, label="3号楼"
    )
    return tokens


# --- the questionnaire ----------------------------------------------------------------------
class TestQuestionnaire:
    def test_the_default_questionnaire_has_every_kind_and_its_conditions(self, survey_round):
        q = questions_by_key(survey_round)
        kinds = [question.kind for question in q.values()]
        assert kinds == [
            QuestionKind.SATISFACTION,
            QuestionKind.SINGLE,
            QuestionKind.SINGLE,
            QuestionKind.MULTIPLE,
            QuestionKind.MATRIX,
            QuestionKind.TEXT,
            QuestionKind.TEXT,
        ]
        assert q["solved"].yes_option == 0 and q["solved"].show_if_id == q["raised"].pk
        assert q["improve"].show_if_id == q["overall"].pk
        assert q["improve"].show_if_options == [1, 2, 3]
        assert len(q["aspects"].options) == 4
        assert "满意" in q["overall"].text

    def test_a_second_default_is_refused(self, survey_round, admin):
        survey_round.state = RoundState.SELF
        survey_round.save()
        with pytest.raises(Conflict):
            services.survey_create_default(round_=survey_round, actor=admin)

    def test_only_the_district_edits_the_questionnaire(self, survey_round, supervisor):
        survey_round.state = RoundState.SELF
        survey_round.save()
        spec = QuestionSpec(kind=QuestionKind.TEXT, text="还有什么想说的？", required=False)
        with pytest.raises(Forbidden):
            services.question_add(survey=survey_round.survey, actor=supervisor, spec=spec)

    def test_questions_are_frozen_once_residents_answer(self, survey_round, admin):
        spec = QuestionSpec(kind=QuestionKind.TEXT, text="还有什么想说的？")
        with pytest.raises(Conflict):
            services.question_add(survey=survey_round.survey, actor=admin, spec=spec)
        question = survey_round.survey.questions.first()
        with pytest.raises(Conflict):
            services.question_delete(question=question, actor=admin)
        assert survey_round.survey.questions.count() == 7

    @pytest.mark.parametrize(
        ("spec", "field"),
        [
            (QuestionSpec(kind="essay", text="?"), "kind"),
            (QuestionSpec(kind=QuestionKind.TEXT, text="   "), "text"),
            (QuestionSpec(kind=QuestionKind.SINGLE, text="?", options=["只有一个"]), "options"),
            (QuestionSpec(kind=QuestionKind.MULTIPLE, text="?", options=["甲", "甲"]), "options"),
            (QuestionSpec(kind=QuestionKind.MATRIX, text="?", options=[]), "options"),
            (
                QuestionSpec(
                    kind=QuestionKind.SINGLE, text="?", options=["是", "否"], yes_option=2
                ),
                "yes_option",
            ),
            (
                QuestionSpec(
                    kind=QuestionKind.MULTIPLE, text="?", options=["是", "否"], yes_option=0
                ),
                "yes_option",
            ),
            (QuestionSpec(kind=QuestionKind.TEXT, text="?", show_if_options=[1]), "show_if"),
        ],
    )
    def test_a_bad_question_is_refused_on_its_field_and_nothing_changes(
        self, survey_round, admin, spec, field
    ):
        survey_round.state = RoundState.SELF
        survey_round.save()
        with pytest.raises(DomainError) as refused:
            services.question_add(survey=survey_round.survey, actor=admin, spec=spec)
        assert refused.value.field == field
        assert survey_round.survey.questions.count() == 7

    def test_conditions_refer_to_an_earlier_choice_question_and_its_answers(
        self, survey_round, admin
    ):
        survey_round.state = RoundState.SELF
        survey_round.save()
        q = questions_by_key(survey_round)
        survey = survey_round.survey
        on_text = QuestionSpec(
            kind=QuestionKind.TEXT, text="?", show_if=q["suggest"], show_if_options=[0]
        )
        with translation.override("en"), pytest.raises(DomainError, match="choice or satisfaction"):
            services.question_add(survey=survey, actor=admin, spec=on_text)
        level_six = QuestionSpec(
            kind=QuestionKind.TEXT, text="?", show_if=q["overall"], show_if_options=[6]
        )
        with pytest.raises(DomainError) as refused:
            services.question_add(survey=survey, actor=admin, spec=level_six)
        assert refused.value.field == "show_if_options"
        later = QuestionSpec(
            kind=QuestionKind.SINGLE,
            text="?",
            options=["甲", "乙"],
            show_if=q["improve"],
            show_if_options=[0],
        )
        with pytest.raises(DomainError):
            services.question_update(question=q["raised"], actor=admin, spec=later)

    def test_moving_keeps_a_question_after_the_one_it_depends_on(self, survey_round, admin):
        survey_round.state = RoundState.SELF
        survey_round.save()
        q = questions_by_key(survey_round)
        with pytest.raises(Conflict):
            services.question_move(question=q["solved"], actor=admin, up=True)
        services.question_move(question=q["services"], actor=admin, up=True)
        order = list(
            survey_round.survey.questions.order_by("position").values_list("pk", flat=True)
        )
        assert order.index(q["services"].pk) == 2 and order.index(q["solved"].pk) == 3

    def test_a_question_others_depend_on_cannot_be_deleted_or_lose_their_answers(
        self, survey_round, admin
    ):
        survey_round.state = RoundState.SELF
        survey_round.save()
        q = questions_by_key(survey_round)
        with pytest.raises(Conflict):
            services.question_delete(question=q["raised"], actor=admin)
        shorter = QuestionSpec(kind=QuestionKind.TEXT, text=q["raised"].text)
        with pytest.raises(DomainError):
            services.question_update(question=q["raised"], actor=admin, spec=shorter)
        services.question_delete(question=q["suggest"], actor=admin)
        assert survey_round.survey.questions.count() == 6
        assert AuditEntry.objects.filter(action="evaluation.survey.question_deleted").exists()


# --- tokens ---------------------------------------------------------------------------------
class TestTokens:
    def test_tokens_carry_128_random_bits_and_only_their_digest_is_stored(
        self, survey_round, tree, supervisor
    ):
        tokens = issue(survey_round, tree.community_a1, supervisor, count=50)
        alphabet = set(string.ascii_letters + string.digits + "-_")
        assert len(set(tokens)) == 50
        for token in tokens:
            assert len(token) == 22 and set(token) <= alphabet
            # 22 base64 characters carry 132 bits; token_urlsafe(16) draws 16 random bytes.
            assert len(token) * math.log2(64) >= 128
        stored = set(SurveyToken.objects.values_list("digest", flat=True))
        assert stored == {token_digest(token) for token in tokens}
        assert not any(token in digest for token in tokens for digest in stored)
        assert services.TOKEN_BYTES * 8 >= 128

    def test_no_raw_token_reaches_the_audit_log(self, survey_round, tree, supervisor):
        tokens = issue(survey_round, tree.community_a1, supervisor, count=5)
        services.survey_answer(token=tokens[0], answers=good_answers(survey_round))
        logged = " ".join(str(entry.data) for entry in AuditEntry.objects.all())
        assert "evaluation.survey.tokens_created" in set(
            AuditEntry.objects.values_list("action", flat=True)
        )
        assert not any(token in logged for token in tokens)

    def test_the_units_own_staff_cannot_create_tokens(self, survey_round, tree, secretary):
        with pytest.raises(Forbidden):
            issue(survey_round, tree.community_a1, secretary)
        assert not SurveyToken.objects.exists()

    def test_a_supervisor_cannot_create_tokens_for_another_street(
        self, survey_round, tree, supervisor
    ):
        with pytest.raises(Forbidden):
            issue(survey_round, tree.community_b1, supervisor)

    @pytest.mark.parametrize("count", [0, -1, services.MAX_BATCH + 1])
    def test_a_batch_holds_1_to_2000_tokens(self, survey_round, tree, supervisor, count):
        with pytest.raises(DomainError) as refused:
            issue(survey_round, tree.community_a1, supervisor, count=count)
        assert refused.value.field == "count"
        assert not SurveyToken.objects.exists()

    def test_a_token_answers_once(self, survey_round, tree, supervisor):
        token = issue(survey_round, tree.community_a1, supervisor)[0]
        response = services.survey_answer(token=token, answers=good_answers(survey_round))
        assert response.channel == "token" and response.token.used_at is not None
        with pytest.raises(NotFound):
            services.survey_answer(token=token, answers=good_answers(survey_round))
        assert SurveyResponse.objects.count() == 1

    def test_a_token_looked_up_before_another_use_still_answers_once(
        self, survey_round, tree, supervisor, monkeypatch
    ):
        """Two uses that both found the token unused: the conditional update lets one through."""
        token = issue(survey_round, tree.community_a1, supervisor)[0]
        stale = services.token_lookup(token)
        services.survey_answer(token=token, answers=good_answers(survey_round))
        monkeypatch.setattr(services, "token_lookup", lambda raw: stale)
        with pytest.raises(NotFound):
            services.survey_answer(token=token, answers=good_answers(survey_round))
        assert SurveyResponse.objects.count() == 1 and Answer.objects.count() == 5

    @pytest.mark.django_db(transaction=True)
    def test_two_concurrent_uses_of_one_token_record_one_answer(self, tree, admin, supervisor):
        if connection.vendor == "sqlite":
            pytest.skip("SQLite's in-memory test database is one connection; run on PostgreSQL")
        schemes = [make_scheme(tree.district, UnitClass.COMMUNITY)]
        round_ = make_open_round(tree.district, [tree.community_a1], schemes)
        services.survey_create_default(round_=round_, actor=admin)
        Round.objects.filter(pk=round_.pk).update(state=RoundState.RESIDENTS)
        round_.refresh_from_db()
        token = issue(round_, tree.community_a1, supervisor)[0]
        answers = good_answers(round_)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def use() -> None:
            barrier.wait()
            try:
                services.survey_answer(token=token, answers=answers)
                outcomes.append("ok")
            except NotFound:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=use) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["ok", "refused"]
        assert SurveyResponse.objects.count() == 1

    def test_an_unknown_token_is_refused_like_a_used_one(self, survey_round, tree, supervisor):
        token = issue(survey_round, tree.community_a1, supervisor)[0]
        services.survey_answer(token=token, answers=good_answers(survey_round))
        with pytest.raises(NotFound) as used:
            services.survey_answer(token=token, answers=good_answers(survey_round))
        with pytest.raises(NotFound) as unknown:
            services.survey_answer(token=services.new_token(), answers=good_answers(survey_round))
        assert str(used.value.message) == str(unknown.value.message)

    def test_a_token_of_a_void_batch_is_refused(self, survey_round, tree, supervisor):
        batch, tokens = services.token_batch_create(
            round_unit=unit_of(survey_round, tree.community_a1), actor=supervisor, count=2
        )
        services.survey_answer(token=tokens[0], answers=good_answers(survey_round))
        services.token_batch_void(batch=batch, actor=supervisor, reason="发错楼栋")
        with pytest.raises(NotFound):
            services.survey_answer(token=tokens[1], answers=good_answers(survey_round))
        assert SurveyResponse.objects.count() == 1  # the answer given before stays
        with pytest.raises(Conflict):
            services.token_batch_void(batch=batch, actor=supervisor)

    @pytest.mark.parametrize("close", ["deadline", "next_stage"])
    def test_a_token_is_refused_after_the_stage_closes(self, survey_round, tree, supervisor, close):
        token = issue(survey_round, tree.community_a1, supervisor)[0]
        if close == "deadline":
            survey_round.stage_deadline = timezone.now() - timedelta(seconds=1)
        else:
            survey_round.state = RoundState.SUPERIOR
        survey_round.save()
        with pytest.raises(services.SurveyClosed):
            services.survey_answer(token=token, answers=good_answers(survey_round))
        assert not SurveyResponse.objects.exists()
        assert SurveyToken.objects.filter(used_at__isnull=False).count() == 0
        with pytest.raises(Conflict):
            issue(survey_round, tree.community_a1, supervisor)

    def test_a_token_is_refused_before_the_stage_opens(self, survey_round, tree, supervisor):
        survey_round.state = RoundState.SELF
        survey_round.save()
        token = issue(survey_round, tree.community_a1, supervisor)[0]  # printed in advance
        with pytest.raises(services.SurveyClosed):
            services.survey_answer(token=token, answers=good_answers(survey_round))

    def test_a_refused_answer_leaves_the_token_unused(self, survey_round, tree, supervisor):
        token = issue(survey_round, tree.community_a1, supervisor)[0]
        with pytest.raises(services.AnswersInvalid):
            services.survey_answer(token=token, answers={})
        assert services.token_lookup(token) is not None


# --- open links -----------------------------------------------------------------------------
class TestOpenLinks:
    def _link(self, round_, tree, supervisor, **limits):
        return services.open_link_create(
            round_unit=unit_of(round_, tree.community_a1),
            actor=supervisor,
            place="党群服务中心大厅",
            **limits,
        )

    def test_one_answer_per_device(self, survey_round, tree, supervisor):
        link = self._link(survey_round, tree, supervisor, per_device=1)
        answers = good_answers(survey_round)
        services.survey_answer(
            open_link=link, answers=answers, device_id="a" * 22, client_ip="1.1.1.1"
        )
        with pytest.raises(Conflict):
            services.survey_answer(
                open_link=link, answers=answers, device_id="a" * 22, client_ip="2.2.2.2"
            )
        services.survey_answer(
            open_link=link, answers=answers, device_id="b" * 22, client_ip="2.2.2.2"
        )
        assert SurveyResponse.objects.filter(open_link=link).count() == 2

    def test_answers_per_address_and_day(self, survey_round, tree, supervisor):
        link = self._link(survey_round, tree, supervisor, per_device=5, per_address_per_day=2)
        answers = good_answers(survey_round)
        for device in ("a", "b"):
            services.survey_answer(
                open_link=link, answers=answers, device_id=device * 22, client_ip="10.0.0.1"
            )
        with pytest.raises(Conflict):
            services.survey_answer(
                open_link=link, answers=answers, device_id="c" * 22, client_ip="10.0.0.1"
            )
        services.survey_answer(
            open_link=link, answers=answers, device_id="c" * 22, client_ip="10.0.0.2"
        )
        # Yesterday's answers do not count against today.
        SurveyResponse.objects.filter(open_link=link).update(
            submitted_at=timezone.now() - timedelta(days=1)
        )
        services.survey_answer(
            open_link=link, answers=answers, device_id="d" * 22, client_ip="10.0.0.1"
        )
        assert SurveyResponse.objects.filter(open_link=link).count() == 4

    def test_only_keyed_hashes_of_device_and_address_are_kept(self, survey_round, tree, supervisor):
        link = self._link(survey_round, tree, supervisor)
        response = services.survey_answer(
            open_link=link,
            answers=good_answers(survey_round),
            device_id="device-secret-123456789",
            client_ip="203.0.113.7",
        )
        assert re.fullmatch(r"[0-9a-f]{64}", response.device_hash)
        assert response.address_hash != services.keyed_hash("device", "203.0.113.7")
        assert "203.0.113.7" not in response.address_hash
        import hashlib

        assert response.address_hash != hashlib.sha256(b"203.0.113.7").hexdigest()

    def test_a_switched_off_link_and_a_closed_stage_are_refused(
        self, survey_round, tree, supervisor
    ):
        link = self._link(survey_round, tree, supervisor)
        services.open_link_deactivate(link=link, actor=supervisor)
        with pytest.raises(NotFound):
            services.survey_answer(
                open_link=link, answers=good_answers(survey_round), device_id="x" * 22
            )
        other = self._link(survey_round, tree, supervisor)
        survey_round.state = RoundState.REVIEW
        survey_round.save()
        with pytest.raises(services.SurveyClosed):
            services.survey_answer(
                open_link=other, answers=good_answers(survey_round), device_id="x" * 22
            )

    def test_answers_refused_at_the_limits_are_counted_on_the_link(
        self, survey_round, tree, supervisor
    ):
        link = self._link(survey_round, tree, supervisor, per_device=1, per_address_per_day=2)
        answers = good_answers(survey_round)
        services.survey_answer(open_link=link, answers=answers, device_id="a" * 22, client_ip="n")
        with pytest.raises(services.AnswerRefused):  # the same phone again
            services.survey_answer(
                open_link=link, answers=answers, device_id="a" * 22, client_ip="m"
            )
        services.survey_answer(open_link=link, answers=answers, device_id="b" * 22, client_ip="n")
        with pytest.raises(services.AnswerRefused):  # a third answer from one address today
            services.survey_answer(
                open_link=link, answers=answers, device_id="c" * 22, client_ip="n"
            )
        link.refresh_from_db()
        assert link.refused == 2
        assert SurveyResponse.objects.filter(open_link=link).count() == 2
        # An answer that does not fit its questions is the resident's mistake, not a refusal.
        with pytest.raises(services.AnswersInvalid):
            services.survey_answer(open_link=link, answers={}, device_id="d" * 22)
        link.refresh_from_db()
        assert link.refused == 2

    def test_a_device_the_units_own_staff_signed_in_on_is_refused(
        self, survey_round, tree, supervisor, admin
    ):
        a1_link = self._link(survey_round, tree, supervisor, per_device=5)
        b1_link = services.open_link_create(
            round_unit=unit_of(survey_round, tree.community_b1), actor=admin, place="村委会"
        )
        secretary_phone, supervisor_phone = "s" * 22, "p" * 22
        services.staff_device_record(
            user=tree.people[Role.BRANCH_SECRETARY], device_id=secretary_phone
        )
        services.staff_device_record(
            user=tree.people[Role.STREET_SUPERVISOR], device_id=supervisor_phone
        )
        grid_phone = "g" * 22  # a grid worker of a grid below 柳岸 belongs to it too
        services.staff_device_record(user=tree.people[Role.GRID_WORKER], device_id=grid_phone)
        answers = good_answers(survey_round)

        for phone in (secretary_phone, grid_phone):
            with pytest.raises(services.StaffDeviceRefused):
                services.survey_answer(open_link=a1_link, answers=answers, device_id=phone)
        a1_link.refresh_from_db()
        assert a1_link.refused == 2
        assert not SurveyResponse.objects.filter(open_link=a1_link).exists()
        # Staff answer like anyone for another unit, and a street above is not the unit.
        services.survey_answer(open_link=b1_link, answers=answers, device_id=secretary_phone)
        services.survey_answer(open_link=a1_link, answers=answers, device_id=supervisor_phone)
        # Once the secretary has left the unit, the phone is a resident's again.
        Membership.objects.filter(user=tree.people[Role.BRANCH_SECRETARY]).update(is_active=False)
        services.survey_answer(open_link=a1_link, answers=answers, device_id=secretary_phone)
        assert SurveyResponse.objects.filter(open_link=a1_link).count() == 2

    def test_a_staff_device_is_kept_as_a_keyed_hash_once(self, tree):
        user = tree.people[Role.BRANCH_SECRETARY]
        first = services.staff_device_record(user=user, device_id="s" * 22)
        again = services.staff_device_record(user=user, device_id="s" * 22)
        assert first.pk == again.pk and again.last_seen >= first.last_seen
        assert first.device_hash == services.keyed_hash("device", "s" * 22)
        assert "s" * 22 not in first.device_hash
        assert (
            AuditEntry.objects.filter(action="evaluation.survey.staff_device_recorded").count() == 1
        )

    def test_the_units_own_staff_cannot_create_open_links(self, survey_round, tree, secretary):
        with pytest.raises(Forbidden):
            self._link(survey_round, tree, secretary)


# --- checking answers -----------------------------------------------------------------------
class TestAnswerChecks:
    def _errors(self, round_, tree, supervisor, answers) -> dict[int, str]:
        token = issue(round_, tree.community_a1, supervisor, count=1)[0]
        with pytest.raises(services.AnswersInvalid) as refused:
            services.survey_answer(token=token, answers=answers)
        assert not SurveyResponse.objects.exists()
        return refused.value.errors

    def test_required_visible_questions_must_be_answered(self, survey_round, tree, supervisor):
        q = questions_by_key(survey_round)
        answers = good_answers(survey_round)
        del answers[q["overall"].pk]
        del answers[q["solved"].pk]
        errors = self._errors(survey_round, tree, supervisor, answers)
        assert set(errors) == {q["overall"].pk, q["solved"].pk}

    def test_a_hidden_conditional_question_must_not_be_answered(
        self, survey_round, tree, supervisor
    ):
        q = questions_by_key(survey_round)
        answers = good_answers(survey_round, overall=5, solved=None)  # did not raise anything
        answers[q["solved"].pk] = 0
        answers[q["improve"].pk] = "多开几天门"  # shown only for satisfaction 1–3
        errors = self._errors(survey_round, tree, supervisor, answers)
        assert set(errors) == {q["solved"].pk, q["improve"].pk}

    def test_a_shown_conditional_question_is_accepted(self, survey_round, tree, supervisor):
        q = questions_by_key(survey_round)
        token = issue(survey_round, tree.community_a1, supervisor, count=1)[0]
        answers = good_answers(survey_round, overall=2, solved=2)
        answers[q["improve"].pk] = "  晚上和周末也能办事就好了  "
        response = services.survey_answer(token=token, answers=answers)
        stored = dict(response.answers.values_list("question_id", "value"))
        assert stored[q["improve"].pk] == "晚上和周末也能办事就好了"
        assert stored[q["services"].pk] == [0, 3]

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("overall", 0),
            ("overall", 6),
            ("overall", "5"),
            ("overall", True),
            ("raised", 2),
            ("raised", -1),
            ("services", [0, 7]),
            ("services", [1, 1]),
            ("services", 1),
            ("aspects", [5, 4, 4]),
            ("aspects", [5, 4, 4, 9]),
            ("aspects", [5, 4, None, 3]),
            ("suggest", "好" * 1001),
            ("suggest", 12),
        ],
    )
    def test_out_of_range_answers_are_refused(self, survey_round, tree, supervisor, key, value):
        q = questions_by_key(survey_round)
        answers = good_answers(survey_round)
        answers[q[key].pk] = value
        errors = self._errors(survey_round, tree, supervisor, answers)
        assert list(errors) == [q[key].pk]

    def test_answers_to_unknown_questions_are_refused(self, survey_round, tree, supervisor):
        token = issue(survey_round, tree.community_a1, supervisor, count=1)[0]
        answers = good_answers(survey_round)
        answers[10**9] = 1
        with pytest.raises(DomainError):
            services.survey_answer(token=token, answers=answers)
        assert not SurveyResponse.objects.exists()


def test_households_are_set_from_above_only(survey_round, tree, supervisor, secretary):
    unit = unit_of(survey_round, tree.community_a1)
    services.round_unit_households_set(round_unit=unit, actor=supervisor, households=420)
    assert RoundUnit.objects.get(pk=unit.pk).households == 420
    with pytest.raises(Forbidden):
        services.round_unit_households_set(round_unit=unit, actor=secretary, households=1)
    with pytest.raises(DomainError):
        services.round_unit_households_set(round_unit=unit, actor=supervisor, households=-1)


def test_a_response_is_excluded_from_above_once_with_a_reason(
    survey_round, tree, supervisor, secretary
):
    token = issue(survey_round, tree.community_a1, supervisor, count=1)[0]
    response = services.survey_answer(token=token, answers=good_answers(survey_round))
    with pytest.raises(Forbidden):
        services.response_exclude(response=response, actor=secretary, reason="不想要")
    with pytest.raises(DomainError):
        services.response_exclude(response=response, actor=supervisor, reason="  ")
    services.response_exclude(response=response, actor=supervisor, reason="同一户重复填写")
    with pytest.raises(Conflict):
        services.response_exclude(response=response, actor=supervisor, reason="再来一次")
    assert SurveyResponse.objects.get().excluded_reason == "同一户重复填写"
