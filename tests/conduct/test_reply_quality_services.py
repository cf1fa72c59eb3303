"""Stored reply scores: scored once after a resolution, the supervisor above told of perfunctory
replies, backfill."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from jiceng.cases.models import Category, Channel, Notification, Reply
from jiceng.cases.services import case_accept, case_dispatch, case_reply, case_resolve, case_submit
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.conduct.reply_quality_services import reply_score_record
from jiceng.conduct.tasks import score_resolution_reply
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db

GOOD = "您好！经现场查看，社区已于今天上午清运了垃圾站的垃圾，下一步将每天巡查一次。感谢您的反映。"
ACK = "网友：您好！留言已收悉"
TEMPLATE = "目前正在编制相关专项规划，对于您的意见和建议，将充分论证研究。感谢您对我们工作的支持！"


@pytest.fixture
def resolve(tree, actors, django_capture_on_commit_callbacks):
    secretary = actors[Role.BRANCH_SECRETARY]

    def make(
        body=GOOD,
        title="小区垃圾站满溢",
        description="柳岸路88号小区垃圾站三天没有清运。",
        secretary=secretary,
    ):
        area = secretary.unit
        case = case_submit(
            actor=ANONYMOUS,
            category=Category.objects.get(code="rubbish"),
            area=area,
            title=title,
            description=description,
            channel=Channel.WEB,
        )
        case_accept(case=case, actor=secretary)
        case_dispatch(case=case, actor=secretary, to_unit=area)
        with django_capture_on_commit_callbacks(execute=True):
            case_resolve(case=case, actor=secretary, body=body)
        return case.replies.get(is_resolution=True)

    return make


def test_the_reply_is_scored_once_after_the_resolution_commits(resolve, tree):
    reply = resolve()
    score = ReplyScore.objects.get(reply=reply)
    assert score.unit == tree.community_a1
    assert score.replied_at == reply.created_at
    assert score.total > 60 and not score.perfunctory
    assert score.flags == []
    assert len(score.fingerprint) == 64 and len(score.request_fingerprint) == 64
    assert not Notification.objects.filter(verb="perfunctory_reply").exists()
    assert not AuditEntry.objects.filter(action="conduct.reply.perfunctory").exists()

    # Again, by the task or the service: nothing changes.
    assert score_resolution_reply.call_local(reply.pk) is False
    again = reply_score_record(reply=reply)
    assert not again.created and again.score.pk == score.pk
    assert again.score.scored_at == score.scored_at
    assert ReplyScore.objects.count() == 1


def test_a_perfunctory_reply_goes_to_the_supervisors_of_the_unit_above(resolve, tree):
    other_street = make_member(tree.street_b, Role.STREET_SUPERVISOR)
    reply = resolve(body=ACK)
    score = ReplyScore.objects.get(reply=reply)
    assert score.perfunctory
    assert "ack_only" in score.flags
    notices = Notification.objects.filter(verb="perfunctory_reply")
    assert [n.recipient for n in notices] == [tree.people[Role.STREET_SUPERVISOR]]
    assert notices[0].case == reply.case
    assert reply.case.tracking_code in notices[0].message
    assert not Notification.objects.filter(recipient=other_street).exists()
    entry = AuditEntry.objects.get(action="conduct.reply.perfunctory")
    assert entry.data["reply"] == reply.pk and "ack_only" in entry.data["flags"]

    # A rescore neither notifies nor audits again.
    reply_score_record(reply=reply, rescore=True)
    assert Notification.objects.filter(verb="perfunctory_reply").count() == 1
    assert AuditEntry.objects.filter(action="conduct.reply.perfunctory").count() == 1


def test_a_template_reused_for_an_unrelated_request_is_boilerplate(resolve):
    first = resolve(
        body=TEMPLATE, title="希望修建地铁", description="建议地铁二号线延伸到我们小区附近"
    )
    second = resolve(
        body=TEMPLATE, title="公交站名建议", description="建议把白竹坡路口公交站改名为马坡岭小学站"
    )
    assert "boilerplate" not in first.quality.flags
    second_score = ReplyScore.objects.get(reply=second)
    assert "boilerplate" in second_score.flags
    assert second_score.reuse >= 0.8 and second_score.originality == 0.0
    assert second_score.perfunctory


def test_a_template_is_compared_with_the_same_units_replies_only(resolve, tree):
    resolve(body=TEMPLATE, title="希望修建地铁", description="建议地铁二号线延伸到我们小区附近")
    other = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="a2"))
    reply = resolve(
        body=TEMPLATE,
        title="公交站名建议",
        description="建议把白竹坡路口公交站改名为马坡岭小学站",
        secretary=other,
    )
    assert reply.quality.unit == tree.community_a2
    assert "boilerplate" not in reply.quality.flags


def test_only_resolution_replies_by_the_system(resolve, tree, actors):
    reply = resolve()
    with pytest.raises(Forbidden):
        reply_score_record(reply=reply, actor=actors[Role.DISTRICT_ADMIN])
    progress = Reply(case=reply.case, author=reply.author, unit=reply.unit, body="处理中")
    with pytest.raises(DomainError):
        reply_score_record(reply=progress, actor=SYSTEM)


def test_progress_replies_are_not_scored(tree, actors, django_capture_on_commit_callbacks):
    secretary = actors[Role.BRANCH_SECRETARY]
    case = case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="垃圾站满溢",
        description="三天没有清运。",
        channel=Channel.WEB,
    )
    case_accept(case=case, actor=secretary)
    with django_capture_on_commit_callbacks(execute=True):
        case_reply(case=case, actor=secretary, body="正在安排清运。")
    assert not ReplyScore.objects.exists()


def test_the_backfill_scores_what_is_missing_without_notifying(resolve):
    good, ack = resolve(), resolve(body=ACK)
    ReplyScore.objects.all().delete()
    Notification.objects.all().delete()
    call_command("reply_quality_rescore")
    assert set(ReplyScore.objects.values_list("reply_id", flat=True)) == {good.pk, ack.pk}
    assert ReplyScore.objects.get(reply=ack).perfunctory
    assert not Notification.objects.exists()
    assert AuditEntry.objects.filter(action="conduct.reply_scores.backfilled").count() == 1

    # Nothing left to do; --all rescores in place.
    before = dict(ReplyScore.objects.values_list("reply_id", "pk"))
    call_command("reply_quality_rescore")
    assert AuditEntry.objects.filter(action="conduct.reply_scores.backfilled").count() == 1
    call_command("reply_quality_rescore", "--all", "--batch", "1")
    assert dict(ReplyScore.objects.values_list("reply_id", "pk")) == before


# --- display ---------------------------------------------------------------------------------
def test_staff_see_the_scores_beside_the_resolution_reply(resolve, tree, client):
    reply = resolve(body=ACK)
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    page = client.get(reverse("case_detail", args=[reply.case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="reply-quality"' in html
    score = reply.quality
    assert f"Reply quality {score.total:.0f}/100" in html
    assert 'data-flag="ack_only"' in html
    assert "acknowledgement only" in html
    assert "only confirms receipt" in html  # the tooltip's explanation
    assert "perfunctory" in html


def test_the_case_page_reads_the_scores_with_the_replies(
    resolve, tree, client, django_assert_max_num_queries
):
    reply = resolve()
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    url = reverse("case_detail", args=[reply.case.pk])
    with django_assert_max_num_queries(40) as captured:
        assert client.get(url).status_code == 200
    # Joined to the replies' query, never read one reply at a time.
    sql = [query["sql"] for query in captured.captured_queries]
    assert any('JOIN "conduct_replyscore"' in text for text in sql)
    assert not any('FROM "conduct_replyscore"' in text for text in sql)


def test_residents_do_not_see_the_scores(resolve, client):
    reply = resolve(body=ACK)
    page = client.get(reverse("case_track_detail", args=[reply.case.tracking_code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reply.body in html
    assert "reply-quality" not in html
    assert "ack_only" not in html
