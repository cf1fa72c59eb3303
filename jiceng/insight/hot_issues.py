"""Hot issues (最关心的问题): cases grouped into issues, and each issue's heat. Pure: no ORM.

Clustering is incremental. A case becomes a short TF-IDF vector of its words (title words count
twice); it joins the most similar open issue of its partition (its street and month) when the
cosine similarity with that issue's centroid reaches `threshold`, else it starts a new issue.
Candidates come from an inverted index of each issue's key terms, so the cost of placing a case
depends on how many issues share its words, not on how many issues exist. Every structure kept
per issue is bounded (`CENTROID_TERMS`, `KEY_TERMS`), so state can be stored and reloaded.

Heat is `heat()` below, documented in docs/SCORING.md ("Heat of an issue").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jiceng.core.text import content_words

# Words every request uses: they say nothing about which problem it is.
GENERIC_WORDS = frozenset(
    [
        "问题",
        "反映",
        "建议",
        "关于",
        "咨询",
        "希望",
        "请问",
        "市民",
        "部门",
        "相关",
        "现在",
        "没有",
        "情况",
        "解决",
        "要求",
        "领导",
        "政府",
        "能否",
        "是否",
        "尽快",
        "你好",
        "您好",
        "谢谢",
        "非常",
        "已经",
        "可以",
        "一直",
        "进行",
        "不能",
        "这些",
        "目前",
        "由于",
        "因为",
        "所以",
        "但是",
        "如果",
        "严重",
        "处理",
        "投诉",
        "给予",
        "居民",
        "群众",
        "我们",
        "大家",
        "本人",
        "人员",
        "工作",
        "有关",
        "多次",
        "时间",
        "时候",
        "每天",
        "今年",
        "去年",
        "导致",
        "造成",
        "影响",
        "存在",
        "为什么",
        "怎么办",
        "还是",
        "需要",
        "应该",
        "不是",
        "没有",
        "一些",
        "很多",
        "一下",
        "不到",
        "这样",
        "那么",
        "以及",
        "同时",
        "其他",
        "所有",
        "出现",
        "发生",
        "今天",
        "最近",
        "知道",
        "能够",
        "得到",
        "回复",
        "感谢",
        "麻烦",
        "强烈",
        "呼吁",
        "恳请",
        "望",
        "相关部门",
        "有关部门",
        "此事",
        "这种",
        "这里",
        "那里",
        "该",
        "各位",
        "你们",
        "他们",
    ]
)
TITLE_WEIGHT = 2
BODY_CHARS = 600  # the start of a long body says what it is about; the rest costs time
CASE_TERMS = 16  # terms kept in a case's vector
CENTROID_TERMS = 40  # terms kept in an issue's centroid
KEY_TERMS = 8  # an issue's terms in the inverted index
PROBE_TERMS = 8  # a case's terms looked up in the index
MAX_POSTING = 400  # a term shared by more issues than this is too common to find candidates
DEFAULT_THRESHOLD = 0.32
MAX_WORD = 40  # longer "words" are links or runs of letters, and would not fit the index
LOCAL_SHARE = 0.03
LOCAL_MIN = 50

_PLACE = re.compile(r"[A-Z]\d+[区县]|[A-Z]市")


def terms(title: str, body: str) -> Counter[str]:
    """The counted words of a case that can tell one problem from another."""
    counts: Counter[str] = Counter()
    for weight, text in ((TITLE_WEIGHT, title), (1, body[:BODY_CHARS])):
        # Set place names apart, or they glue onto the next word (A2区丽发新城 → 区丽发).
        for word in content_words(_PLACE.sub(r" \g<0> ", text)):
            if not 2 <= len(word) <= MAX_WORD or word in GENERIC_WORDS or word.isdigit():
                continue
            counts[word] += weight
    return counts


def place_of(title: str, body: str) -> str:
    """A place named in the text (`A3区`, `A7县`, `A市`), the most specific first; "" if none."""
    found = _PLACE.findall(title) or _PLACE.findall(body[:BODY_CHARS])
    specific = [p for p in found if not p.endswith("市")]
    return (specific or found or [""])[0]


class DocumentFrequency:
    """How many cases each term occurred in: the IDF part of the weights."""

    def __init__(self, counts: Mapping[str, int] | None = None, total: int = 0) -> None:
        self.counts: dict[str, int] = dict(counts or {})
        self.total = total

    def add(self, words: Iterable[str]) -> None:
        self.total += 1
        for word in set(words):
            self.counts[word] = self.counts.get(word, 0) + 1

    def idf(self, word: str) -> float:
        return math.log((1 + self.total) / (1 + self.counts.get(word, 0))) + 1.0


def vector(
    counts: Mapping[str, int],
    df: DocumentFrequency,
    size: int = CASE_TERMS,
    local: DocumentFrequency | None = None,
) -> dict[str, float]:
    """The `size` heaviest TF-IDF weights of a case, scaled to length 1.

    `local`: the document frequencies of the case's own area (its street). A word in more
    than `LOCAL_SHARE` of the area's cases is turned down by √(LOCAL_SHARE / share): there it
    names the place (大学城教师公寓 in 南山街道) rather than the problem, and alone it must
    not make unrelated requests about one estate one issue. Counted once the area has
    `LOCAL_MIN` cases.
    """
    damp = local is not None and local.total >= LOCAL_MIN

    def weight(word: str, n: int) -> float:
        w = (1 + math.log(n)) * df.idf(word)
        if damp:
            assert local is not None
            share = local.counts.get(word, 0) / local.total
            if share > LOCAL_SHARE:
                w *= math.sqrt(LOCAL_SHARE / share)
        return w

    weighted = sorted(
        ((word, weight(word, n)) for word, n in counts.items()),
        key=lambda item: (-item[1], item[0]),
    )[:size]
    norm = math.sqrt(sum(w * w for _, w in weighted)) or 1.0
    return {word: w / norm for word, w in weighted}


@dataclass
class Issue:
    """An issue as the clusterer keeps it: bounded, storable as plain data."""

    id: Any
    partition: Any
    centroid: dict[str, float] = field(default_factory=dict)  # sum of member vectors, truncated
    size: int = 0
    title: str = ""
    title_score: float = -1.0
    key_terms: tuple[str, ...] = ()

    def similarity(self, vec: Mapping[str, float]) -> float:
        norm = math.sqrt(sum(w * w for w in self.centroid.values()))
        if not norm:
            return 0.0
        return sum(w * self.centroid.get(word, 0.0) for word, w in vec.items()) / norm

    def add(self, vec: Mapping[str, float], title: str) -> None:
        for word, w in vec.items():
            self.centroid[word] = self.centroid.get(word, 0.0) + w
        if len(self.centroid) > CENTROID_TERMS:
            kept = sorted(self.centroid.items(), key=lambda item: (-item[1], item[0]))
            self.centroid = dict(kept[:CENTROID_TERMS])
        self.size += 1
        # The representative title: the member closest to what the issue is about so far.
        score = self.similarity(vec)
        if score > self.title_score:
            self.title, self.title_score = title, score
        self.key_terms = tuple(
            word
            for word, _ in sorted(self.centroid.items(), key=lambda item: (-item[1], item[0]))[
                :KEY_TERMS
            ]
        )


@dataclass(frozen=True)
class Placement:
    issue: Issue
    created: bool
    similarity: float


class Clusterer:
    """Places cases into issues one at a time; `issues` may be preloaded from storage."""

    def __init__(
        self,
        df: DocumentFrequency | None = None,
        *,
        local: dict[Any, DocumentFrequency] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        new_id: Any = None,
    ) -> None:
        self.df = df or DocumentFrequency()
        # Local frequencies by area turn place words down (see `vector`); None: not at all.
        self.local = local
        self.threshold = threshold
        self.issues: dict[Any, Issue] = {}
        self._index: dict[tuple[Any, str], set[Any]] = {}
        self._counter = 0
        self._new_id = new_id

    def load(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self._reindex(issue, ())

    def _reindex(self, issue: Issue, old: Sequence[str]) -> None:
        for word in old:
            posting = self._index.get((issue.partition, word))
            if posting is not None:
                posting.discard(issue.id)
        for word in issue.key_terms:
            self._index.setdefault((issue.partition, word), set()).add(issue.id)

    def candidates(self, partition: Any, vec: Mapping[str, float]) -> set[Any]:
        found: set[Any] = set()
        for word in list(vec)[:PROBE_TERMS]:
            posting = self._index.get((partition, word))
            if posting and len(posting) <= MAX_POSTING:
                found |= posting
        return found

    def place(
        self,
        *,
        partition: Any,
        counts: Mapping[str, int],
        title: str,
        learn: bool = True,
        area: Any = None,
    ) -> Placement:
        """Put one case (its counted `terms`) into an issue of `partition`.

        `area`: whose local document frequencies to use (default: the partition).
        `learn` adds the case to the document frequencies first; pass False when they were
        counted beforehand (a two-pass rebuild).
        """
        local: DocumentFrequency | None = None
        if self.local is not None:
            local = self.local.setdefault(partition if area is None else area, DocumentFrequency())
        if learn:
            self.df.add(counts)
            if local is not None:
                local.add(counts)
        vec = vector(counts, self.df, local=local)
        best, best_score = None, 0.0
        for issue_id in self.candidates(partition, vec):
            issue = self.issues[issue_id]
            score = issue.similarity(vec)
            if score > best_score or (
                score == best_score and best is not None and issue.id < best.id
            ):
                best, best_score = issue, score
        created = best is None or best_score < self.threshold
        if created:
            self._counter += 1
            new_id = self._new_id() if self._new_id else ("new", self._counter)
            best = Issue(id=new_id, partition=partition)
            self.issues[new_id] = best
            best_score = 1.0
        assert best is not None
        old = best.key_terms
        best.add(vec, title)
        if best.key_terms != old:
            self._reindex(best, old)
        return Placement(issue=best, created=created, similarity=best_score)


# --- heat ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeatParams:
    support_weight: float = 2.0  # points per e-fold of "me too" support: ln(1 + support)
    half_life_days: float = 14.0  # heat halves for every this many days since the last case
    spread_step: float = 0.25  # each community beyond the first adds this share
    spread_cap: float = 2.0  # ... up to this factor


DEFAULT_HEAT = HeatParams()


def heat(
    *,
    residents: int,
    support: int,
    days_since_last: float,
    communities: int,
    params: HeatParams = DEFAULT_HEAT,
) -> float:
    """How hot an issue is: (residents + w·ln(1 + support)) × 0.5^(age/half-life) × spread.

    residents: distinct residents who reported it (anonymous reports count one each);
    support: "me too" supports of its cases; days_since_last: age of its newest case (negative
    ages count as 0); communities: distinct communities its cases come from (at least 1 counts).
    """
    if residents < 0 or support < 0 or communities < 0:
        raise ValueError("counts cannot be negative")
    mass = residents + params.support_weight * math.log1p(support)
    recency = 0.5 ** (max(days_since_last, 0.0) / params.half_life_days)
    spread = min(1.0 + params.spread_step * max(communities - 1, 0), params.spread_cap)
    return round(mass * recency * spread, 4)


# --- trend --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    counts: tuple[int, ...]  # cases per bucket, oldest first
    direction: str  # "rising", "falling" or "steady"


def trend(times: Iterable[datetime], *, end: datetime, buckets: int = 8, width: timedelta) -> Trend:
    """Cases per bucket of `width` in the `buckets` buckets ending at `end`; the direction
    compares the newer half with the older half (rising when at least 1.5 times as many)."""
    counts = [0] * buckets
    start = end - width * buckets
    for moment in times:
        if start <= moment < end:
            counts[min(int((moment - start) / width), buckets - 1)] += 1
        elif moment == end:
            counts[-1] += 1
    return Trend(tuple(counts), direction(counts))


def direction(counts: Sequence[int]) -> str:
    half = len(counts) // 2
    older, newer = sum(counts[:half]), sum(counts[len(counts) - half :])
    if newer >= 1.5 * older and newer - older >= 2:
        return "rising"
    if older >= 1.5 * newer and older - newer >= 2:
        return "falling"
    return "steady"
