"""Writes of reply-quality scores: score a resolution reply once, rescore stored ones.

`reply_score_record` runs in the background after `case_resolve` commits (conduct.tasks); the
`reply_quality_rescore` command backfills. A reply judged perfunctory (做给别人看) is written to
the audit log and its case is brought to the supervisors of the unit above the one that replied,
once: a rescore never notifies again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Reply
from jiceng.cases.services import notify_unit
from jiceng.conduct import reply_quality as rq
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.core import clock
from jiceng.core.actors import SYSTEM, Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs import lookups
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability

# Earlier replies a new one is compared with for reuse: the same unit's of the last
# REUSE_WINDOW, at most REUSE_LIMIT of the latest (an index range of (unit, replied_at); about
# 0.5 MB of signatures read per reply at most). Templates are pasted by the office that keeps
# them; the acknowledgements every office writes alike are caught without comparing. See
# docs/SCORING.md "Reply quality".
REUSE_WINDOW = timedelta(days=365)
REUSE_LIMIT = 2_000


def _superior(unit: OrgUnit) -> OrgUnit | None:
    return lookups.unit_at_path(unit.path[: -OrgUnit.steplen]) if unit.depth > 1 else None


def _earlier_reuse(reply: Reply, fp: rq.Fingerprint) -> float:
    earlier = (
        ReplyScore.objects.filter(
            unit_id=reply.unit_id,
            replied_at__lt=reply.created_at,
            replied_at__gte=reply.created_at - REUSE_WINDOW,
        )
        .exclude(reply__case_id=reply.case_id)
        .order_by("-replied_at")
        .values_list("fingerprint", "request_fingerprint")[:REUSE_LIMIT]
    )
    pairs = [
        (mine, theirs)
        for mine, theirs in earlier
        if len(mine) == rq.PERMUTATIONS and len(theirs) == rq.PERMUTATIONS
    ]
    if not pairs:
        return 0.0
    replies = np.array([mine for mine, _ in pairs], dtype=np.int64)
    requests = np.array([theirs for _, theirs in pairs], dtype=np.int64)
    return rq.reuse_among(fp, replies, requests)


def score_of(reply: Reply) -> tuple[rq.Score, rq.Fingerprint]:
    """The reply's score from its case's data and the stored earlier fingerprints (a read)."""
    case = reply.case
    fp = rq.fingerprint(title=case.title, body=case.description, reply=reply.body)
    item = rq.ReplyInput(
        title=case.title,
        body=case.description,
        reply=reply.body,
        submitted_at=case.submitted_at,
        deadline=case.resolve_by,
        replied_at=reply.created_at,
    )
    return rq.score_reply(item, reuse_similarity=_earlier_reuse(reply, fp)), fp


@dataclass(frozen=True)
class Recorded:
    score: ReplyScore
    created: bool
    newly_perfunctory: bool


def _fields(score: rq.Score, fp: rq.Fingerprint) -> dict[str, object]:
    return {
        **score.components(),
        "total": score.total,
        "flags": list(score.flags),
        "perfunctory": score.perfunctory,
        "reuse": score.reuse,
        "fingerprint": list(fp.reply),
        "request_fingerprint": list(fp.request),
        "method": rq.METHOD,
        "scored_at": clock.now(),
    }


def reply_score_record(
    *, reply: Reply, actor: Actor = SYSTEM, rescore: bool = False, notify: bool = True
) -> Recorded:
    """Score a resolution reply and store it; idempotent.

    A reply already scored keeps its score unless `rescore` (then it is recomputed in place). A
    reply that becomes perfunctory here gets one audit entry and, with `notify`, its case is
    brought to the supervisors (cases.supervise) of the unit above the replying unit.
    """
    if not actor.system:
        raise Forbidden()
    if not reply.is_resolution:
        raise DomainError(gettext_lazy("Only resolution replies are scored."))
    with transaction.atomic():
        existing = ReplyScore.objects.select_for_update().filter(reply=reply).first()
        if existing is not None and not rescore:
            return Recorded(existing, created=False, newly_perfunctory=False)
        score, fp = score_of(reply)
        fields = _fields(score, fp)
        was_perfunctory = existing is not None and existing.perfunctory
        if existing is None:
            try:
                with transaction.atomic():
                    stored = ReplyScore.objects.create(
                        reply=reply, unit=reply.unit, replied_at=reply.created_at, **fields
                    )
            except IntegrityError:
                # Scored meanwhile by another worker: theirs stands.
                return Recorded(ReplyScore.objects.get(reply=reply), False, False)
        else:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.unit = reply.unit
            existing.replied_at = reply.created_at
            existing.save()
            stored = existing
        newly = stored.perfunctory and not was_perfunctory
        if newly:
            audit_log(
                actor=actor,
                action="conduct.reply.perfunctory",
                target=reply.case,
                data={
                    "reply": reply.pk,
                    "unit": reply.unit.code,
                    "total": stored.total,
                    "flags": stored.flags,
                },
            )
            superior = _superior(reply.unit) if notify else None
            if superior is not None:
                notify_unit(
                    unit=superior,
                    capability=Capability.CASE_SUPERVISE,
                    case=reply.case,
                    verb="perfunctory_reply",
                    message=gettext_lazy(
                        "The resolution reply to request %(code)s by %(unit)s looks "
                        "perfunctory: please review it."
                    ),
                )
    return Recorded(stored, created=existing is None, newly_perfunctory=newly)


def reply_scores_backfill(
    *, actor: Actor = SYSTEM, rescore: bool = False, batch: int = 500, notify: bool = False
) -> tuple[int, int]:
    """Score stored resolution replies without a score of the current method (all with
    `rescore`), oldest first so that each is compared with those before it. No notifications
    unless asked: old replies are history, not news. Returns (scored, perfunctory)."""
    if not actor.system:
        raise Forbidden()
    replies = Reply.objects.filter(is_resolution=True)
    if not rescore:
        replies = replies.exclude(quality__method=rq.METHOD)
    scored = perfunctory = 0
    last = None
    while True:
        page = replies.select_related("case", "unit").order_by("created_at", "pk")
        if last is not None:
            page = page.filter(created_at__gte=last[0]).exclude(created_at=last[0], pk__lte=last[1])
        chunk = list(page[:batch])
        if not chunk:
            break
        for reply in chunk:
            recorded = reply_score_record(reply=reply, actor=actor, rescore=True, notify=notify)
            scored += 1
            perfunctory += recorded.score.perfunctory
        last = (chunk[-1].created_at, chunk[-1].pk)
    return scored, perfunctory
