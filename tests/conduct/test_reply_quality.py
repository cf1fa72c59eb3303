"""Reply quality: the pure functions, worked by hand (docs/SCORING.md "Reply quality")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from jiceng.conduct import reply_quality as rq

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
TITLE = "小区路灯不亮"
BODY = "晚上小区路灯不亮，老人出门摔倒，路灯坏了一个月。"
GOOD = "您好！经现场查看，物业公司已于3月5日更换了小区路灯，下一步将每月巡查一次。感谢您的反映。"


# --- relevance -------------------------------------------------------------------------------
def test_request_terms_drop_single_characters_frame_words_and_codes():
    title_terms, body_terms = rq.request_terms("关于A7县小区路灯不亮的问题", BODY)
    assert title_terms == {"小区", "灯不亮"}
    assert body_terms == {"晚上", "小区", "灯不亮", "老人", "出门", "摔倒", "路灯", "一个月"}


def test_relevance_is_coverage_of_title_and_body_terms_scaled():
    # Title terms {小区, 灯不亮}: the reply has 小区 → ½. Body terms (8): 小区 and 路灯 → 2/8.
    # coverage = (½ + ¼) / 2 = 0.375; relevance = 0.375 / 0.5 = 0.75.
    reply = "您好！经现场查看，物业公司已于3月5日更换了小区路灯。感谢您的反映。"
    assert rq.relevance(TITLE, BODY, reply) == pytest.approx(0.75)


def test_relevance_stops_at_one_and_is_zero_for_an_unrelated_reply():
    assert rq.relevance(TITLE, BODY, "小区 灯不亮 晚上 老人 出门 摔倒 路灯 一个月") == 1.0
    assert rq.relevance(TITLE, BODY, "您好！留言已收悉。") == 0.0


def test_relevance_of_a_request_without_terms_is_zero():
    assert rq.relevance("问题", "请求解决", "已处理") == 0.0


# --- completeness ----------------------------------------------------------------------------
def test_a_reply_saying_what_who_when_and_next_is_complete():
    assert rq.completeness_elements(GOOD) == {
        "what": True,
        "who": True,
        "when": True,
        "next": True,
    }
    assert rq.completeness(GOOD) == 1.0


def test_forwarding_and_the_dateline_say_nothing():
    # The unit named in "已转…处理" is forwarding, not acting; the signing date is not "when".
    assert rq.completeness("您的留言已收悉，已转区城管局处理。2024年3月1日") == 0.0


def test_completeness_counts_quarters():
    # what (经调查) and who (社区) but no time and no next step: 2 of 4.
    assert rq.completeness("经调查，社区已清理楼道杂物。") == 0.5


# --- politeness ------------------------------------------------------------------------------
def test_a_courteous_plain_reply_scores_one():
    parts = rq.politeness_parts("您好！感谢您的反映。我们已经修好路灯。")
    assert (parts.courtesy, parts.stock_penalty, parts.plain) == (1.0, 0.0, 1.0)
    assert parts.score == pytest.approx(1.0)


def test_stock_phrases_cost_the_wording_part():
    # No address, no thanks; one stock phrase in 8 characters (> 1 per 100): penalty 1; the one
    # sentence of 8 characters is plain: 0.4·0 + 0.3·0 + 0.3·1 = 0.3.
    assert rq.politeness("我局高度重视此事。") == pytest.approx(0.3)


def test_long_sentences_are_less_plain():
    # One sentence of 70 characters: plain = (100 − 70) / (100 − 40) = 0.5;
    # politeness = 0.4·0 + 0.3·1 + 0.3·0.5 = 0.45.
    sentence = "路" * 70 + "。"
    parts = rq.politeness_parts(sentence)
    assert parts.plain == pytest.approx(0.5)
    assert parts.score == pytest.approx(0.45)


def test_a_rebuke_caps_politeness():
    parts = rq.politeness_parts("您好！请不要再骚扰工作人员，谢谢。")
    assert parts.rude == ("不要再", "骚扰")
    assert parts.score == pytest.approx(0.2)


# --- timeliness ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("replied_after_days", "expected"),
    [(5, 1.0), (10, 1.0), (15, 0.5), (20, 0.0), (40, 0.0)],
)
def test_timeliness_falls_linearly_after_the_deadline(replied_after_days, expected):
    # Deadline 10 days after submission: 5 days late is half the allowed time late → 0.5.
    score = rq.timeliness(
        submitted_at=T0,
        deadline=T0 + timedelta(days=10),
        replied_at=T0 + timedelta(days=replied_after_days),
    )
    assert score == pytest.approx(expected)


def test_a_deadline_at_submission_gives_nothing_once_late():
    assert rq.timeliness(submitted_at=T0, deadline=T0, replied_at=T0 + timedelta(hours=1)) == 0


# --- acknowledgement only and boilerplate ----------------------------------------------------
@pytest.mark.parametrize(
    "reply",
    [
        "网友：您好！留言已收悉",
        "已收悉",
        "您好！您反映的问题已转交区城管局，感谢您的支持！2024年3月1日",
        "您的留言已收悉！我们已将您反映的问题转相关部门进行处理，敬请关注后续回复，谢谢！",
    ],
)
def test_acknowledgements_only_are_recognised(reply):
    assert rq.is_acknowledgement_only(reply)


def test_a_reply_with_substance_is_not_an_acknowledgement():
    assert not rq.is_acknowledgement_only(GOOD)


def test_skeleton_and_shingles():
    assert rq.skeleton("网友“UU008374”：您好，2019年5月9日") == "网友您好0年0月0日"
    assert rq.shingles("ab，cd") == {"abc", "bcd"}
    assert rq.shingles("ab") == {"ab"}
    assert rq.shingles("，") == set()


def test_jaccard_by_hand():
    assert rq.jaccard({"a", "b", "c"}, {"b", "c", "d"}) == pytest.approx(2 / 4)
    assert rq.jaccard(set(), set()) == 1.0


def _similarity(a: rq.Signature, b: rq.Signature) -> float:
    """The share of equal positions, as reuse_among compares signatures."""
    return float((np.asarray(a) == np.asarray(b)).mean())


def test_minhash_estimates_jaccard():
    a = "路灯已经修好了，请放心出行。" * 3
    assert _similarity(rq.minhash(a), rq.minhash(a)) == 1.0
    # Numbers and the addressee do not make two copies of a template different.
    assert rq.minhash("网友“UU0081”：2019年5月9日已修好") == rq.minhash(
        "网友“UU0099”：2020年1月2日已修好"
    )
    far = _similarity(rq.minhash("小区路灯坏了一个月"), rq.minhash("学校门口交通拥堵严重"))
    assert far < 0.2


TEMPLATE = "目前正在编制轨道交通线网规划，对于您的意见和建议，将充分论证研究。感谢您的支持！"


def _arrays(fingerprints: list[rq.Fingerprint]) -> tuple[np.ndarray, np.ndarray]:
    replies = np.array([fp.reply for fp in fingerprints], dtype=np.int64)
    requests = np.array([fp.request for fp in fingerprints], dtype=np.int64)
    return replies, requests


def test_reuse_counts_only_unrelated_requests():
    earlier = rq.fingerprint(
        title="地铁二号线延伸", body="希望地铁二号线向西延伸到梅溪湖", reply=TEMPLATE
    )
    unrelated = rq.fingerprint(title="公交站名更改", body="建议将白竹坡路口站改名", reply=TEMPLATE)
    same_matter = rq.fingerprint(
        title="地铁二号线延伸", body="希望地铁二号线向西延伸到梅溪湖", reply=TEMPLATE
    )
    replies, requests = _arrays([earlier])
    assert rq.reuse_among(unrelated, replies, requests) == 1.0
    assert rq.reuse_among(same_matter, replies, requests) == 0.0
    assert rq.reuse_among(unrelated, replies[:0], requests[:0]) == 0.0


def test_reuse_among_takes_the_most_similar_unrelated_reply():
    earlier = [
        rq.fingerprint(title="地铁二号线延伸", body="希望地铁延伸到梅溪湖", reply=TEMPLATE),
        rq.fingerprint(title="路灯", body="小区路灯坏了", reply=GOOD),
        rq.fingerprint(title="公交站名更改", body="建议将白竹坡路口站改名", reply=GOOD),
    ]
    replies, requests = _arrays(earlier)
    # The same reply to the same matter (row 1) does not count; to another matter (row 2) does.
    street_light = rq.fingerprint(title="路灯", body="小区路灯坏了", reply=GOOD)
    assert rq.reuse_among(street_light, replies, requests) == 1.0
    assert rq.reuse_among(street_light, replies[:2], requests[:2]) < 0.2
    noise = rq.fingerprint(title="噪音", body="夜宵摊噪音", reply="已处理")
    assert rq.reuse_among(noise, replies, requests) < 0.2


@pytest.mark.parametrize(
    ("ack", "similarity", "expected"),
    [
        (True, 0.0, 0.0),
        (False, 0.0, 1.0),
        (False, 0.4, 1.0),
        (False, 0.65, 0.5),
        (False, 0.95, 0.0),
    ],
)
def test_originality(ack, similarity, expected):
    assert rq.originality(acknowledgement_only=ack, reuse_similarity=similarity) == pytest.approx(
        expected
    )


# --- total, flags, perfunctory ---------------------------------------------------------------
def test_total_is_the_weighted_sum_on_100():
    components = {
        "relevance": 0.5,
        "completeness": 0.75,
        "politeness": 1.0,
        "timeliness": 0.0,
        "originality": 1.0,
    }
    # 100 · (0.30·0.5 + 0.25·0.75 + 0.15·1 + 0.15·0 + 0.15·1) = 100 · 0.6375 = 63.75 → 63.8
    assert rq.total(components) == pytest.approx(63.8)
    assert sum(rq.WEIGHTS.values()) == pytest.approx(1.0)


def test_flags_follow_the_thresholds():
    components = {
        "relevance": 0.19,
        "completeness": 0.25,
        "politeness": 0.39,
        "timeliness": 0.99,
        "originality": 1.0,
    }
    assert rq.flags_for(components, acknowledgement_only=False, reuse_similarity=0.8) == (
        rq.BOILERPLATE,
        rq.OFF_TOPIC,
        rq.INCOMPLETE,
        rq.IMPOLITE,
        rq.LATE,
    )
    fine = dict.fromkeys(rq.COMPONENTS, 1.0) | {"relevance": 0.2, "completeness": 0.5}
    assert rq.flags_for(fine, acknowledgement_only=False, reuse_similarity=0.79) == ()


@pytest.mark.parametrize(
    ("flags", "total", "perfunctory"),
    [
        ((rq.ACK_ONLY,), 90.0, True),
        ((rq.BOILERPLATE,), 90.0, True),
        ((rq.OFF_TOPIC, rq.INCOMPLETE), 60.0, True),
        ((rq.OFF_TOPIC,), 60.0, False),
        ((rq.INCOMPLETE, rq.LATE), 60.0, False),
        ((), 39.9, True),
        ((), 40.0, False),
    ],
)
def test_the_perfunctory_rule(flags, total, perfunctory):
    assert rq.is_perfunctory(flags, total) is perfunctory


def _item(reply: str, *, late_days: int = 0) -> rq.ReplyInput:
    return rq.ReplyInput(
        title=TITLE,
        body=BODY,
        reply=reply,
        submitted_at=T0,
        deadline=T0 + timedelta(days=10),
        replied_at=T0 + timedelta(days=10 + late_days),
    )


def test_an_acknowledgement_scores_low_and_is_perfunctory():
    score = rq.score_reply(_item("网友：您好！留言已收悉"))
    # relevance 0, completeness 0, politeness: courtesy ½ (您好, no thanks), no stock phrase,
    # plain → 0.4·0.5 + 0.3 + 0.3 = 0.8; timeliness 1; originality 0.
    # total = 100 · (0.15·0.8 + 0.15·1) = 27.0
    assert score.components() == {
        "relevance": 0.0,
        "completeness": 0.0,
        "politeness": 0.8,
        "timeliness": 1.0,
        "originality": 0.0,
    }
    assert score.total == pytest.approx(27.0)
    assert score.flags == (rq.ACK_ONLY, rq.OFF_TOPIC, rq.INCOMPLETE)
    assert score.perfunctory


def test_a_good_reply_late_by_half_the_time():
    score = rq.score_reply(_item(GOOD, late_days=5))
    # relevance: title ½ (小区), body 2/8 (小区, 路灯) → 0.75; completeness 1; politeness 1
    # (address and thanks, no stock phrase, short sentences); timeliness 0.5; originality 1.
    # total = 100 · (0.30·0.75 + 0.25 + 0.15 + 0.15·0.5 + 0.15) = 85.0
    assert score.relevance == pytest.approx(0.75)
    assert score.completeness == 1.0
    assert score.politeness == pytest.approx(1.0)
    assert score.timeliness == pytest.approx(0.5)
    assert score.total == pytest.approx(85.0)
    assert score.flags == (rq.LATE,)
    assert not score.perfunctory


def test_reuse_of_a_reply_that_answers_this_matter_is_not_boilerplate():
    # Relevance 0.75 ≥ 0.5: a similar earlier reply is the same answer to the same matter.
    score = rq.score_reply(_item(GOOD), reuse_similarity=1.0)
    assert score.originality == 1.0
    assert rq.BOILERPLATE not in score.flags
    assert score.reuse == 0.0


def test_reuse_of_a_reply_off_the_point_is_boilerplate():
    score = rq.score_reply(_item(TEMPLATE), reuse_similarity=0.9)
    assert score.originality == 0.0
    assert rq.BOILERPLATE in score.flags
    assert score.perfunctory
