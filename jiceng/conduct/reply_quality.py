"""Reply quality (做给别人看): how well a resolution reply answers the resident; pure functions.

Nothing here touches the database or Django. A reply is scored from plain data — the request's
title and text, the reply's text, the request's submission time, its deadline and the reply's
time, and for boilerplate the fingerprints of earlier replies — and every component lies in 0–1:

- relevance: does the reply speak of what the resident asked about (word overlap after jieba
  segmentation, title words and the request's most frequent words);
- completeness: does it say what was done (or found), by whom, when, and what comes next;
- politeness: courteous address and thanks, no rebuke, plain wording (no stock phrases, no
  endless sentences);
- timeliness: 1 up to the deadline, falling linearly to 0 when the overrun equals the time the
  deadline allowed;
- originality: 1 − boilerplate, where boilerplate is 1 for an acknowledgement only ("您好！留言
  已收悉") and otherwise grows with the similarity (MinHash over character shingles) to an
  earlier reply given to an unrelated request.

The total is their weighted sum on 0–100 (WEIGHTS); flags name what is wrong and the perfunctory
rule decides which replies go to the unit's supervisor. The method, thresholds and what it finds
on real replies are written up in docs/SCORING.md "Reply quality".
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from jiceng.core.text import STOP_WORDS, search_words

# Bumped whenever a formula or threshold changes, so stored scores can be told apart and rescored.
METHOD = 1

WEIGHTS: dict[str, float] = {
    "relevance": 0.30,
    "completeness": 0.25,
    "politeness": 0.15,
    "timeliness": 0.15,
    "originality": 0.15,
}
COMPONENTS: tuple[str, ...] = tuple(WEIGHTS)

# Flags (codes as in reply_quality_models.ReplyFlag).
ACK_ONLY = "ack_only"
BOILERPLATE = "boilerplate"
OFF_TOPIC = "off_topic"
INCOMPLETE = "incomplete"
IMPOLITE = "impolite"
LATE = "late"
FLAGS: tuple[str, ...] = (ACK_ONLY, BOILERPLATE, OFF_TOPIC, INCOMPLETE, IMPOLITE, LATE)

# Thresholds (docs/SCORING.md "Reply quality").
OFF_TOPIC_BELOW = 0.2  # relevance
INCOMPLETE_BELOW = 0.5  # completeness: fewer than two of the four elements
IMPOLITE_BELOW = 0.4  # politeness
BOILERPLATE_FROM = 0.8  # estimated Jaccard similarity to an unrelated earlier reply
SAME_MATTER_FROM = 0.5  # relevance from which a reused reply is taken to answer the same matter
RELATED_FROM = 0.5  # requests at least this similar are the same matter, not unrelated
PERFUNCTORY_BELOW = 40.0  # total
ACK_REST_CHARS = 15  # substance left after removing formulae, below which it is an ack only
RELEVANCE_FULL = 0.5  # word coverage that counts as fully relevant
BODY_TOP_WORDS = 20


# --------------------------------------------------------------------------------------------
# Text helpers

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_PUNCT = re.compile(r"[^\w]", re.UNICODE)
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
_DATELINE = re.compile(
    r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\W*$"
)
# The resident's net name in the address line: 网友“UU008374”, “A00023583”.
_ADDRESSEE = re.compile(r"[“\"「]?[A-Za-z]{1,3}\d{3,}[”\"」]?")


def _plain(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def strip_dateline(text: str) -> str:
    """The reply without the date it was signed on at its very end (that date says nothing of
    when anything was done)."""
    return _DATELINE.sub("", _plain(text)).strip()


# Formulae that carry no substance: greetings, receipt, "reply as follows", forwarding without
# an outcome, thanks. Matched on the reply with spaces removed, then cut out.
_FORMULAE = [
    r"(尊敬的|亲爱的)?(网友|市民|群众|同志|朋友|先生|女士|来信人|留言人)+(同志|朋友)?",
    r"您好|你好|大家好",
    _ADDRESSEE.pattern,
    r"(首先)?(非常)?感谢您?对[^。！!，,]{0,20}(信任|关心|关注|支持|理解|监督)[^。！!]{0,12}",
    r"(再次)?(衷心)?(感谢|谢谢)(您|你)?(的)?(来信|留言|关心|关注|支持|理解|监督)*",
    r"(您|你)?(的|在)?[^。！!，,]{0,30}?(留言|来信|来函|函件|信件|问题|诉求|反映|情况|建议)[^。！!，,]{0,6}?(已)?(收悉|收到|知悉)",
    r"已收悉|收悉|已收到",
    r"(现|特)?(将|就)?[^。！!]{0,30}?(回复|答复)如下",
    r"(特此|专此)(回复|答复|函复)",
    r"(我们|我局|我单位|我办)?(已|已经)?将?(您|你)?(反映|所反映)?的?(问题|情况|诉求|留言)?(并)?"
    r"(转|转交|转给|交由|转至|移交|转办|交)[^。！!，,]{0,20}?(调查|核实|核处|处理|办理|办复|处置|研究|答复|反馈)+",
    r"(已|已经)?(转交|转给|转至|移交|交由)[^。！!，,]{0,20}",
    r"(如有|有关|相关)(相关)?(情况|进展|结果)?(将|会)?(及时|尽快)?(回复|反馈|答复|告知)",
    r"(请|请您)?耐心等待",
    r"(敬请|请)(关注|留意|等待)[^。！!]{0,8}(回复|答复|结果)",
    r"祝(您)?[^。！!]{0,8}(愉快|顺利|健康|如意)",
]
_FORMULA = re.compile("|".join(f"(?:{pattern})" for pattern in _FORMULAE))


def substance(reply: str) -> str:
    """What is left of a reply once its formulae, dateline and punctuation are cut out."""
    text = strip_dateline(reply).replace(" ", "")
    text = _FORMULA.sub("", text)
    return _PUNCT.sub("", text)


def is_acknowledgement_only(reply: str) -> bool:
    """True when the reply only greets, confirms receipt, forwards or thanks: fewer than
    ACK_REST_CHARS characters of substance remain."""
    return len(substance(reply)) < ACK_REST_CHARS


# --------------------------------------------------------------------------------------------
# Relevance

# Words that frame a request rather than name its matter; they say nothing about relevance.
_FRAME_TEXT = (
    "问题 反映 请求 建议 希望 关于 咨询 投诉 举报 解决 情况 尽快 相关 有关 部门 政府 领导 书记 "
    "市长 县长 区长 您好 你好 谢谢 能否 是否 为什么 为何 怎么办 可以 能不能 有没有 要求 呼吁 "
    "恳请 强烈 严重 一直 现在 已经 没有 不能 不是 可能 应该 需要 还是 以及 但是 因为 所以 如果 "
    "这样 那么 这些 那些 进行 我们 他们 自己 大家 目前 今年 时间 工作 领导们"
)
FRAME_WORDS = frozenset(_FRAME_TEXT.split())


_CODE = re.compile(r"[a-z0-9]{1,4}")


def _terms(text: str) -> list[str]:
    """Words and their parts (jieba's search mode: 公交车 → 公交, 公交车) of two characters or
    more, without stop words, frame words and short codes or numbers (a7, 216)."""
    return [
        word
        for word in search_words(text)
        if len(word) >= 2
        and word not in STOP_WORDS
        and word not in FRAME_WORDS
        and not _CODE.fullmatch(word)
    ]


def request_terms(title: str, body: str, top: int = BODY_TOP_WORDS) -> tuple[set[str], set[str]]:
    """(the title's terms, the body's `top` most frequent terms; ties by first appearance)."""
    counts = Counter(_terms(body))
    ranked = sorted(counts, key=lambda word: -counts[word])  # stable: first seen first
    return set(_terms(title)), set(ranked[:top])


def relevance(title: str, body: str, reply: str) -> float:
    """Coverage of the request's terms by the reply's words, scaled so that RELEVANCE_FULL
    coverage is 1.

    coverage = ½·|T∩R|/|T| + ½·|B∩R|/|B| with T the title's terms, B the body's BODY_TOP_WORDS
    most frequent terms and R the reply's terms (`_terms`); each half drops out when its set is
    empty, both empty give 0. relevance = min(1, coverage / RELEVANCE_FULL).
    """
    title_terms, body_terms = request_terms(title, body)
    reply_words = set(_terms(reply))
    parts = [len(terms & reply_words) / len(terms) for terms in (title_terms, body_terms) if terms]
    if not parts:
        return 0.0
    coverage = sum(parts) / len(parts)
    return min(1.0, coverage / RELEVANCE_FULL)


# --------------------------------------------------------------------------------------------
# Completeness

_DONE = re.compile(
    r"(经|通过|经过)(调查|核实|核查|查|了解|研究|协调|现场|走访|排查|检查|测量|勘察|审核|复核|查阅|实地|比对)"
    r"|(已|已经|现已|均已|已于)[^，。；,;]{0,10}?(完成|安排|处理|解决|整改|修复|维修|清理|拆除|落实|督促|要求"
    r"|责令|约谈|查处|立案|下达|办理|发放|更换|疏通|恢复|开通|启动|开展|组织|协调|告知|纳入|列入|制定"
    r"|出台|补缴|退还|处罚|取缔|关闭|改造|铺设|安装|施工|到位|动工|交付)"
    r"|(根据|按照|依据)[^，。；,;]{0,30}?(《|规定|政策|文件|办法|条例)"
    r"|(进行了|开展了|召开了|组织了|作出了|下发了|采取了)"
)
_WHO = re.compile(
    r"我(局|委|办|院|厅|所|队|站|中心|单位|镇|乡|街道|区|县|市|司|处|科)"
    r"|[\w]{0,12}?(局|委员会|办公室|街道|社区|居委会|村委会|村委|政府|中心|公司|派出所|支队|大队|中队|医院|学校"
    r"|物业|管理处|工作组|执法人员|工作人员|部门)"
)
_WHEN = re.compile(
    r"\d{1,4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}月(上|中|下)旬|(月|年)(底|初|末)"
    r"|近日|日前|目前|现已|当天|当日|次日|今年|明年|本月|下月|年内|近期|\d+\s*个?(工作日|天|日|周|月)(内|后)"
)
_NEXT = re.compile(
    r"下一步|将(会|继续|进一步|于|在|尽快|按照|加快|加强|组织|安排|督促|协调|对|及时|持续)|预计|计划|拟|后续|继续"
    r"|持续|如(有|您|需|对)|可(拨打|致电|联系|前往|到|向|通过|咨询|申请|携带|凭)|联系电话|咨询电话|电话[：:]?\d"
    r"|建议您|请您|请(关注|向|到|携带|拨打|联系|于|及时)|需(持|携带|到|向|提供)"
    r"|可以(向|到|拨打|申请|通过|前往|携带|凭|咨询|联系|在)"
)
COMPLETENESS_ELEMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("what", _DONE),
    ("who", _WHO),
    ("when", _WHEN),
    ("next", _NEXT),
)


def completeness_elements(reply: str) -> dict[str, bool]:
    """Which of what was done, by whom, when and what next the reply's substance says.

    Looked for in the reply with its formulae (greeting, receipt, forwarding, thanks) and its
    dateline cut out, so that "已转市住建局处理。2019年5月9日" says neither who acted nor when.
    """
    text = strip_dateline(reply).replace(" ", "")
    text = _FORMULA.sub("|", text)
    return {name: bool(pattern.search(text)) for name, pattern in COMPLETENESS_ELEMENTS}


def completeness(reply: str) -> float:
    """The share of the four elements the reply says: 0, ¼, ½, ¾ or 1."""
    found = completeness_elements(reply)
    return sum(found.values()) / len(found)


# --------------------------------------------------------------------------------------------
# Politeness and plain language

_COURTESY_ADDRESS = re.compile(r"您好|你好|尊敬的")
_COURTESY_THANKS = re.compile(r"感谢|谢谢|谅解|抱歉|歉意|不便")
RUDE_PHRASES: tuple[str, ...] = (
    "无理",
    "胡搅蛮缠",
    "不要再",
    "请勿再",
    "别再",
    "骚扰",
    "闹事",
    "滋事",
    "与我们无关",
    "与我局无关",
    "不归我们管",
    "你们自己",
    "训诫",
    "后果自负",
    "自行解决",
)
# Stock phrases (官话套话): they fill a reply without telling the resident anything.
STOCK_PHRASES: tuple[str, ...] = (
    "高度重视",
    "立即组织",
    "精干力量",
    "认真研究",
    "积极协调",
    "切实",
    "进一步加强",
    "大力",
    "全力以赴",
    "统筹",
    "扎实",
    "深入开展",
    "狠抓",
    "着力",
    "全面落实",
    "稳步推进",
    "常态化",
    "长效机制",
    "多措并举",
    "齐抓共管",
)
PLAIN_SENTENCE = 40  # mean sentence length (characters) at or below which wording is plain
DENSE_SENTENCE = 100  # … at or above which it is not
STOCK_PER_100_FULL = 1.0  # stock phrases per 100 characters that take the whole wording part
RUDE_CAP = 0.2


@dataclass(frozen=True)
class Politeness:
    score: float
    courtesy: float
    stock_penalty: float
    plain: float
    rude: tuple[str, ...]


def politeness_parts(reply: str) -> Politeness:
    """politeness = 0.4·courtesy + 0.3·(1 − stock penalty) + 0.3·plain, at most RUDE_CAP when a
    rebuke is found.

    - courtesy: ½ for an address (您好, 尊敬的) plus ½ for thanks or an apology;
    - stock penalty: min(1, stock phrases per 100 characters ÷ STOCK_PER_100_FULL);
    - plain: 1 at a mean sentence length ≤ PLAIN_SENTENCE characters, 0 at ≥ DENSE_SENTENCE,
      linear between (sentences end at 。！？；or a line break).
    """
    text = strip_dateline(reply)
    courtesy = 0.5 * bool(_COURTESY_ADDRESS.search(text)) + 0.5 * bool(
        _COURTESY_THANKS.search(text)
    )
    chars = len(text.replace(" ", "")) or 1
    stock = sum(text.count(phrase) for phrase in STOCK_PHRASES)
    stock_penalty = min(1.0, (stock * 100 / chars) / STOCK_PER_100_FULL)
    sentences = [s for s in _SENTENCE_END.split(text.replace(" ", "")) if s]
    mean_length = sum(map(len, sentences)) / len(sentences) if sentences else 0.0
    plain = min(1.0, max(0.0, (DENSE_SENTENCE - mean_length) / (DENSE_SENTENCE - PLAIN_SENTENCE)))
    rude = tuple(phrase for phrase in RUDE_PHRASES if phrase in text)
    score = 0.4 * courtesy + 0.3 * (1 - stock_penalty) + 0.3 * plain
    if rude:
        score = min(score, RUDE_CAP)
    return Politeness(score, courtesy, stock_penalty, plain, rude)


def politeness(reply: str) -> float:
    return politeness_parts(reply).score


# --------------------------------------------------------------------------------------------
# Timeliness


def timeliness(*, submitted_at: datetime, deadline: datetime, replied_at: datetime) -> float:
    """1 at or before the deadline; after it 1 − overrun ÷ allowed, never below 0, where
    allowed = deadline − submitted (a reply as late again as the whole time allowed scores 0).
    A deadline at or before submission: 0 once late."""
    if replied_at <= deadline:
        return 1.0
    allowed = (deadline - submitted_at).total_seconds()
    if allowed <= 0:
        return 0.0
    overrun = (replied_at - deadline).total_seconds()
    return max(0.0, 1.0 - overrun / allowed)


# --------------------------------------------------------------------------------------------
# Boilerplate: MinHash over character shingles

SHINGLE = 3
PERMUTATIONS = 64
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20191128)
_A = _rng.integers(1, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=PERMUTATIONS, dtype=np.uint64)
Signature = tuple[int, ...]


def skeleton(text: str) -> str:
    """The text as compared for reuse: NFKC, lower case, addressee names dropped, every number
    made 0, punctuation and spaces removed — so that only dates and names differ between two
    copies of one template."""
    text = _ADDRESSEE.sub("", unicodedata.normalize("NFKC", text or "").lower())
    text = _DIGITS.sub("0", text)
    return _PUNCT.sub("", text)


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """The distinct k-character pieces of the skeleton (the whole skeleton when shorter)."""
    plain = skeleton(text)
    if len(plain) <= k:
        return {plain} if plain else set()
    return {plain[i : i + k] for i in range(len(plain) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a∩b| ÷ |a∪b|; two empty sets are identical (1)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def minhash(text: str) -> Signature:
    """PERMUTATIONS minimum hashes of the text's shingles: (a·crc32(s) + b) mod (2³¹ − 1) with
    fixed random a, b. Equal positions estimate the Jaccard similarity of the shingle sets.
    An empty text has every position at the prime (matching only other empty texts)."""
    pieces = shingles(text)
    if not pieces:
        return (_PRIME,) * PERMUTATIONS
    hashes = np.fromiter(
        (zlib.crc32(piece.encode("utf-8")) % _PRIME for piece in pieces),
        dtype=np.uint64,
        count=len(pieces),
    )
    values: NDArray[np.uint64] = (_A[:, None] * hashes[None, :] + _B[:, None]) % np.uint64(_PRIME)
    return tuple(int(v) for v in values.min(axis=1))


@dataclass(frozen=True)
class Fingerprint:
    """What boilerplate detection keeps of a reply: its signature and its request's."""

    reply: Signature
    request: Signature


def fingerprint(*, title: str, body: str, reply: str) -> Fingerprint:
    return Fingerprint(reply=minhash(reply), request=minhash(f"{title} {body}"))


def reuse_among(fp: Fingerprint, replies: NDArray[np.int64], requests: NDArray[np.int64]) -> float:
    """The highest reply similarity to an earlier reply whose request is unrelated (request
    similarity below RELATED_FROM); 0 without one. The same matter answered twice alike (a
    repost, a merged duplicate) is not boilerplate.

    `replies` and `requests` are (n, PERMUTATIONS) arrays of signatures, row i being one
    earlier reply and its request; the similarity of two signatures is the share of equal
    positions (an estimate of the Jaccard similarity of their shingles)."""
    if replies.shape[0] == 0:
        return 0.0
    request_similarity = (requests == np.asarray(fp.request)).mean(axis=1)
    reply_similarity = (replies == np.asarray(fp.reply)).mean(axis=1)
    unrelated = reply_similarity[request_similarity < RELATED_FROM]
    return float(unrelated.max()) if unrelated.size else 0.0


def originality(*, acknowledgement_only: bool, reuse_similarity: float) -> float:
    """1 − boilerplate. boilerplate = 1 for an acknowledgement only; else
    min(1, max(0, (s − 0.4) ÷ 0.5)) of the reuse similarity s: nothing up to 0.4 (shared
    greetings and thanks), all from 0.9."""
    if acknowledgement_only:
        return 0.0
    boilerplate = min(1.0, max(0.0, (reuse_similarity - 0.4) / 0.5))
    return 1.0 - boilerplate


# --------------------------------------------------------------------------------------------
# The score


@dataclass(frozen=True)
class ReplyInput:
    title: str
    body: str
    reply: str
    submitted_at: datetime
    deadline: datetime
    replied_at: datetime


@dataclass(frozen=True)
class Score:
    relevance: float
    completeness: float
    politeness: float
    timeliness: float
    originality: float
    total: float
    flags: tuple[str, ...]
    perfunctory: bool
    reuse: float

    def components(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


def total(components: dict[str, float]) -> float:
    """100 · Σ weight × component, rounded to one decimal."""
    return round(100 * sum(WEIGHTS[name] * components[name] for name in COMPONENTS), 1)


def flags_for(
    components: dict[str, float], *, acknowledgement_only: bool, reuse_similarity: float
) -> tuple[str, ...]:
    found = []
    if acknowledgement_only:
        found.append(ACK_ONLY)
    if reuse_similarity >= BOILERPLATE_FROM:
        found.append(BOILERPLATE)
    if components["relevance"] < OFF_TOPIC_BELOW:
        found.append(OFF_TOPIC)
    if components["completeness"] < INCOMPLETE_BELOW:
        found.append(INCOMPLETE)
    if components["politeness"] < IMPOLITE_BELOW:
        found.append(IMPOLITE)
    if components["timeliness"] < 1.0:
        found.append(LATE)
    return tuple(found)


def is_perfunctory(flags: Sequence[str], total_score: float) -> bool:
    """做给别人看: an acknowledgement only, a reused template, a reply both off the point and
    incomplete, or a total below PERFUNCTORY_BELOW."""
    return (
        ACK_ONLY in flags
        or BOILERPLATE in flags
        or (OFF_TOPIC in flags and INCOMPLETE in flags)
        or total_score < PERFUNCTORY_BELOW
    )


def score_reply(data: ReplyInput, *, reuse_similarity: float = 0.0) -> Score:
    """Every component, the total, the flags and the perfunctory verdict of one reply.

    `reuse_similarity` comes from `reuse_among` over the fingerprints of earlier replies; 0
    when there are none.
    """
    ack = is_acknowledgement_only(data.reply)
    fit = relevance(data.title, data.body, data.reply)
    # A reply that answers this request's own matter (relevance ≥ SAME_MATTER_FROM) and looks
    # like an earlier one is the same answer to the same matter put in other words (residents
    # of one estate writing about one problem), not a template.
    reused = reuse_similarity if fit < SAME_MATTER_FROM else 0.0
    components = {
        "relevance": fit,
        "completeness": completeness(data.reply),
        "politeness": politeness(data.reply),
        "timeliness": timeliness(
            submitted_at=data.submitted_at, deadline=data.deadline, replied_at=data.replied_at
        ),
        "originality": originality(acknowledgement_only=ack, reuse_similarity=reused),
    }
    overall = total(components)
    flags = flags_for(components, acknowledgement_only=ack, reuse_similarity=reused)
    return Score(
        **{name: round(value, 4) for name, value in components.items()},
        total=overall,
        flags=flags,
        perfunctory=is_perfunctory(flags, overall),
        reuse=round(reused, 4),
    )
