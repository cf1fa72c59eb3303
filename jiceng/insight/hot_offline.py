"""Hot issues of a file of messages (`manage.py hot_issues --input FILE.csv`), no database.

Columns (header names, case-insensitive): `title` and `body` (or `description`), `time`
(`YYYY/M/D H:MM[:SS]` or ISO 8601); optional `id`, `user` (who wrote it: distinct residents),
`upvotes` or `support` ("me too" support), and `place`/`address`/`area` (else the place is read
from the text: `A3区`). The file is read twice: once for the document frequencies, once to place
the messages in time order, all in one partition (or one per month with `by_month`).
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from jiceng.core.errors import DomainError
from jiceng.insight import hot_issues as hot

TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
MAX_FIELD = 20000


@dataclass
class Message:
    id: str
    resident: str
    title: str
    body: str
    at: datetime
    support: int
    place: str


@dataclass
class Group:
    issue: hot.Issue
    members: list[Message] = field(default_factory=list)


def _time(value: str, line: int) -> datetime:
    value = value.strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    try:  # a date without a clock time
        return datetime.strptime(value, "%Y/%m/%d")
    except ValueError:
        raise DomainError(
            _("Line %(line)d: %(value)r is not a time (use YYYY/M/D H:MM:SS).")
            % {"line": line, "value": value[:40]},
            field="time",
        ) from None


def _count(value: str, line: int, column: str) -> int:
    value = (value or "").strip()
    if not value:
        return 0
    try:
        number = int(float(value))
    except ValueError:
        number = -1
    if number < 0 or not math.isfinite(float(number)):
        raise DomainError(
            _("Line %(line)d: %(column)s must be a whole number of at least 0, not %(value)r.")
            % {"line": line, "column": column, "value": value[:20]},
            field=column,
        )
    return number


def read_messages(stream: Iterable[str]) -> list[Message]:
    """The messages of a CSV file; a clear `DomainError` naming the line for bad input."""
    csv.field_size_limit(MAX_FIELD * 4)
    reader = csv.DictReader(stream)
    if not reader.fieldnames:
        raise DomainError(_("The file is empty."), field="input")
    names = {name.strip().lower(): name for name in reader.fieldnames if name}
    body_column = names.get("body") or names.get("description")
    missing = [n for n, c in (("title", names.get("title")), ("body", body_column)) if c is None]
    if names.get("time") is None:
        missing.append("time")
    if missing:
        raise DomainError(
            _("The file has no column %(columns)s (it needs title, body and time).")
            % {"columns": ", ".join(missing)},
            field="input",
        )
    support_column = names.get("upvotes") or names.get("support")
    place_column = names.get("place") or names.get("address") or names.get("area")
    messages = []
    for number, row in enumerate(reader, start=2):
        title = (row.get(names["title"]) or "").strip()[:MAX_FIELD]
        body = (row.get(body_column) or "").strip()[:MAX_FIELD]
        if not title and not body:
            continue
        ident = (row.get(names.get("id", ""), "") or "").strip() or str(number)
        user = (row.get(names.get("user", ""), "") or "").strip()
        place = (row.get(place_column) or "").strip() if place_column else ""
        messages.append(
            Message(
                id=ident,
                resident=user or f"message:{ident}",
                title=title,
                body=body,
                at=_time(row.get(names["time"]) or "", number),
                support=_count(row.get(support_column) or "", number, "upvotes")
                if support_column
                else 0,
                place=place or hot.place_of(title, body),
            )
        )
    return messages


def cluster(
    messages: list[Message], *, threshold: float = hot.DEFAULT_THRESHOLD, by_month: bool = False
) -> list[Group]:
    counted = [hot.terms(m.title, m.body) for m in messages]
    df = hot.DocumentFrequency()
    for counts in counted:
        df.add(counts)
    # No damping of local words: a file has no areas, and a city's place names are many.
    clusterer = hot.Clusterer(df, threshold=threshold)
    groups: dict[Any, Group] = {}
    order = sorted(range(len(messages)), key=lambda i: (messages[i].at, i))
    for i in order:
        message = messages[i]
        partition = message.at.strftime("%Y-%m") if by_month else "all"
        placed = clusterer.place(
            partition=partition,
            counts=counted[i],
            title=message.title or message.body[:60],
            learn=False,
        )
        group = groups.setdefault(placed.issue.id, Group(issue=placed.issue))
        group.members.append(message)
    return list(groups.values())


def summarise(
    groups: list[Group],
    *,
    now: datetime,
    params: hot.HeatParams = hot.DEFAULT_HEAT,
    trend_width: timedelta = timedelta(days=7),
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for group in groups:
        members = group.members
        first = min(m.at for m in members)
        last = max(m.at for m in members)
        residents = len({m.resident for m in members})
        support = sum(m.support for m in members)
        places = Counter(m.place for m in members if m.place)
        specific = Counter({p: n for p, n in places.items() if not p.endswith("市")})
        value = hot.heat(
            residents=residents,
            support=support,
            days_since_last=(now - last).total_seconds() / 86400,
            communities=max(len(places), 1),
            params=params,
        )
        shape = hot.trend(
            (m.at for m in members), end=now + timedelta(seconds=1), width=trend_width
        )
        rows.append(
            {
                "title": group.issue.title,
                "place": (specific or places).most_common(1)[0][0] if places else "",
                "places": len(places),
                "first_seen": first.isoformat(sep=" "),
                "last_seen": last.isoformat(sep=" "),
                "count": len(members),
                "residents": residents,
                "support": support,
                "heat": value,
                "trend": {"weekly": list(shape.counts), "direction": shape.direction},
                "key_terms": list(group.issue.key_terms[:5]),
                "ids": [m.id for m in members][:20],
            }
        )
    rows.sort(key=lambda r: (-float(r["heat"]), -int(r["count"]), str(r["title"])))
    return rows


def decode(raw: bytes) -> io.StringIO:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return io.StringIO(raw.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise DomainError(_("The file is neither UTF-8 nor GB18030 text."), field="input")
