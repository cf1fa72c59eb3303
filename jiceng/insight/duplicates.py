"""Open cases that are probably the same problem as a text: the index and the lookup.

Pure parts first (`text_terms`, `similarity`), then the reads over the index tables
(`DuplicateTerm`, `DuplicateSignature` in models_routing.py). How it works and how well it
finds reposts: docs/INSIGHT.md, "Duplicates"; how fast: docs/PERFORMANCE.md.

Every case is indexed when it is stored (intake): its signature (the hashes of all its distinct
content words) and up to INDEX_TERMS postings (street, word, day → case). A lookup segments the
new text, reads the postings of its words in the same street over the last WINDOW_DAYS days,
counts shared words per case, keeps the CANDIDATES cases sharing most, and scores only those
against their stored signatures. Its cost follows the postings of the words looked up, not the
size of the case table.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count

from jiceng.core.text import content_words

INDEX_TERMS = 12  # postings per case
QUERY_TERMS = 24  # words of a new text looked up
SIGNATURE_TERMS = 80  # words kept per case for scoring
CANDIDATES = 30  # cases scored per lookup
MIN_SHARED = 2  # postings a case must share with the text to be scored
WINDOW_DAYS = 60  # "recent": submitted within this many days
THRESHOLD = 0.35  # similarity from which a case is shown as a probable duplicate
SHOWN = 3
_EPOCH = datetime(1970, 1, 1).date()


# --- pure -------------------------------------------------------------------------------------
def term_hash(word: str) -> int:
    """A stable signed 32-bit number for a word (the index stores numbers, not words)."""
    return int.from_bytes(
        hashlib.blake2b(word.encode(), digest_size=4).digest(), "big", signed=True
    )


def ranked_words(title: str, description: str) -> list[str]:
    """Distinct content words of two or more characters: the title's first, then the longer
    words of the description first (long words are rarer and say more)."""
    seen: set[str] = set()
    ordered: list[str] = []
    for word in content_words(title):
        if len(word) >= 2 and not word.isdigit() and word not in seen:
            seen.add(word)
            ordered.append(word)
    rest = [w for w in content_words(description) if len(w) >= 2 and not w.isdigit()]
    for word in sorted(dict.fromkeys(rest), key=len, reverse=True):
        if word not in seen:
            seen.add(word)
            ordered.append(word)
    return ordered


@dataclass(frozen=True)
class Terms:
    signature: frozenset[int]  # every word, for scoring
    postings: tuple[int, ...]  # the words the case is found by

    @property
    def signature_text(self) -> str:
        return " ".join(str(term) for term in sorted(self.signature))


def text_terms(title: str, description: str, *, postings: int = INDEX_TERMS) -> Terms:
    """A text's signature and its first `postings` words (INDEX_TERMS to store a case,
    QUERY_TERMS to look one up)."""
    words = ranked_words(title, description)
    hashes = list(dict.fromkeys(term_hash(word) for word in words))
    return Terms(frozenset(hashes[:SIGNATURE_TERMS]), tuple(hashes[:postings]))


def similarity(a: Iterable[int] | Iterable[str], b: Iterable[int] | Iterable[str]) -> float:
    """Cosine of two sets of words (Ochiai): |A∩B| / √(|A|·|B|), 0 when either is empty.

    Unlike Jaccard or Dice it does not punish a short text (what a resident has typed so far)
    for being compared with a long one: 5 shared words of 7 and 26 give 0.37 (Dice 0.30)."""
    first, second = set(a), set(b)
    if not first or not second:
        return 0.0
    return len(first & second) / math.sqrt(len(first) * len(second))


def parse_signature(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split())


def day_number(moment: datetime) -> int:
    return (moment.date() - _EPOCH).days


# --- reads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    case_id: int
    score: float
    shared: int


def candidate_ids(
    *, street_id: int, terms: Sequence[int], since_day: int, limit: int = CANDIDATES
) -> list[tuple[int, int]]:
    """(case id, shared words) of the cases of a street since a day sharing most words."""
    from jiceng.insight.models_routing import DuplicateTerm

    if not terms:
        return []
    rows = (
        DuplicateTerm.objects.filter(street_id=street_id, term__in=list(terms), day__gte=since_day)
        .values("case_id")
        .annotate(shared=Count("*"))
        .filter(shared__gte=min(MIN_SHARED, len(terms)))
        .order_by("-shared", "-case_id")[:limit]
    )
    return [(row["case_id"], row["shared"]) for row in rows]


def find_similar(
    *,
    street_id: int,
    title: str,
    description: str,
    now: datetime,
    window_days: int = WINDOW_DAYS,
    threshold: float = THRESHOLD,
    open_only: bool = True,
    exclude: int | None = None,
    limit: int = SHOWN,
) -> list[Candidate]:
    """Open cases of the street submitted in the window that are probably the same problem."""
    from jiceng.cases.models import OPEN_STATUSES
    from jiceng.insight.models_routing import DuplicateSignature

    terms = text_terms(title, description, postings=QUERY_TERMS)
    found = candidate_ids(
        street_id=street_id,
        terms=terms.postings,
        since_day=day_number(now - timedelta(days=window_days)),
    )
    shared = {case_id: count for case_id, count in found if case_id != exclude}
    if not shared:
        return []
    signatures = DuplicateSignature.objects.filter(case_id__in=list(shared))
    if open_only:
        signatures = signatures.filter(case__status__in=OPEN_STATUSES)
    query = terms.signature
    scored = [
        Candidate(case_id, round(similarity(query, parse_signature(text)), 3), shared[case_id])
        for case_id, text in signatures.values_list("case_id", "terms")
    ]
    scored = [candidate for candidate in scored if candidate.score >= threshold]
    scored.sort(key=lambda c: (-c.score, -c.shared, -c.case_id))
    return scored[:limit]
