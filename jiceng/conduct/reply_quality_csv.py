"""Reply quality over a CSV of messages and their replies (the `reply_quality` command).

The file has one message a row with the columns id, title, time, body, reply and reply_time
(others, such as user, are ignored), times in local time as ``YYYY/M/D H:MM:SS`` (a date alone
is read as the end of that day). A message's deadline is `working_days` working days after it
was posted, by the official calendar (close of business of that day). Replies are scored in
the order they were given, each against the fingerprints of the replies given before it, so
that the first use of a template is original and its later uses are boilerplate.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from jiceng.conduct import reply_quality as rq
from jiceng.core.calendar import WorkCalendar, official_calendar_data

REQUIRED_COLUMNS: tuple[str, ...] = ("id", "title", "time", "body", "reply", "reply_time")
DEFAULT_WORKING_DAYS = 15
TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d")
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


class CsvError(ValueError):
    """The file cannot be scored; the message says where and why."""


@dataclass(frozen=True)
class Row:
    id: str
    item: rq.ReplyInput


def parse_time(raw: str) -> datetime:
    value = (raw or "").strip()
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=ZONE)
        except ValueError:
            pass
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        return datetime.combine(day, time(23, 59, 59), tzinfo=ZONE)
    raise ValueError(value)


def official_calendar() -> WorkCalendar:
    holidays, workdays, years = official_calendar_data()
    return WorkCalendar(holidays=holidays, workdays=workdays, known_years=years, tz=ZONE)


def read_rows(
    path: Path, *, working_days: int = DEFAULT_WORKING_DAYS, calendar: WorkCalendar | None = None
) -> list[Row]:
    """Every row checked and turned into scoring input; CsvError on the first problem."""
    calendar = calendar or official_calendar()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise CsvError(_("%(path)s: no such file") % {"path": path}) from error
    except UnicodeDecodeError as error:
        raise CsvError(
            _("%(path)s: not UTF-8 text (byte %(byte)d)") % {"path": path, "byte": error.start}
        ) from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise CsvError(_("%(path)s: the file is empty") % {"path": path})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CsvError(
            _(
                "%(path)s: missing column(s) %(missing)s; the file needs %(needed)s "
                "(found %(found)s)"
            )
            % {
                "path": path,
                "missing": ", ".join(missing),
                "needed": ", ".join(REQUIRED_COLUMNS),
                "found": ", ".join(header),
            }
        )
    reader.fieldnames = header
    rows = []
    for raw in reader:
        line = reader.line_num
        if None in raw or any(raw.get(name) is None for name in REQUIRED_COLUMNS):
            raise CsvError(
                _("%(path)s, line %(line)d: the row does not have one value per column")
                % {"path": path, "line": line}
            )
        identifier = raw["id"].strip()
        if not identifier:
            raise CsvError(
                _("%(path)s, line %(line)d: the id is empty") % {"path": path, "line": line}
            )
        try:
            submitted = parse_time(raw["time"])
        except ValueError as error:
            raise CsvError(
                _("%(path)s, line %(line)d: time %(value)s is not a date and time")
                % {"path": path, "line": line, "value": error}
            ) from error
        try:
            replied = parse_time(raw["reply_time"])
        except ValueError as error:
            raise CsvError(
                _("%(path)s, line %(line)d: reply_time %(value)s is not a date and time")
                % {"path": path, "line": line, "value": error}
            ) from error
        rows.append(
            Row(
                id=identifier,
                item=rq.ReplyInput(
                    title=raw["title"],
                    body=raw["body"],
                    reply=raw["reply"],
                    submitted_at=submitted,
                    deadline=calendar.add_working_days(submitted, working_days),
                    replied_at=replied,
                ),
            )
        )
    if not rows:
        raise CsvError(_("%(path)s: no messages after the header") % {"path": path})
    return rows


def score_rows(rows: list[Row]) -> list[rq.Score]:
    """Scores in the rows' order; boilerplate judged against every reply given earlier (one
    numpy comparison with all earlier signatures per reply: exact, and quick for files of some
    thousands of rows, as the work grows with the square of the rows)."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i].item.replied_at, i))
    replies = np.zeros((len(rows), rq.PERMUTATIONS), dtype=np.int64)
    requests = np.zeros((len(rows), rq.PERMUTATIONS), dtype=np.int64)
    scores: list[rq.Score | None] = [None] * len(rows)
    for done, i in enumerate(order):
        item = rows[i].item
        fp = rq.fingerprint(title=item.title, body=item.body, reply=item.reply)
        reuse = rq.reuse_among(fp, replies[:done], requests[:done])
        scores[i] = rq.score_reply(item, reuse_similarity=reuse)
        replies[done], requests[done] = fp.reply, fp.request
    return [score for score in scores if score is not None]


def line_of(row: Row, score: rq.Score) -> dict[str, Any]:
    return {
        "id": int(row.id) if row.id.isdigit() else row.id,
        **score.components(),
        "total": score.total,
        "flags": list(score.flags),
        "perfunctory": score.perfunctory,
        "reuse": score.reuse,
    }


def summary(scores: list[rq.Score]) -> dict[str, Any]:
    """Counts, mean and quartiles of the total, mean components, share perfunctory and per flag."""
    count = len(scores)
    totals = sorted(score.total for score in scores)

    def quantile(q: float) -> float:
        position = q * (count - 1)
        low = int(position)
        high = min(low + 1, count - 1)
        return round(totals[low] + (totals[high] - totals[low]) * (position - low), 1)

    flagged = {flag: sum(flag in score.flags for score in scores) for flag in rq.FLAGS}
    perfunctory = sum(score.perfunctory for score in scores)
    return {
        "summary": True,
        "method": rq.METHOD,
        "count": count,
        "mean": round(sum(totals) / count, 1),
        "quartiles": [quantile(0.25), quantile(0.5), quantile(0.75)],
        "min": totals[0],
        "max": totals[-1],
        "mean_components": {
            name: round(sum(getattr(score, name) for score in scores) / count, 3)
            for name in rq.COMPONENTS
        },
        "perfunctory": perfunctory,
        "share_perfunctory": round(perfunctory / count, 4),
        "flags": flagged,
        "share_flags": {flag: round(n / count, 4) for flag, n in flagged.items()},
        "histogram": {
            f"{low}-{low + 10}": sum(
                low <= t < low + 10 or (low == 90 and t == 100) for t in totals
            )
            for low in range(0, 100, 10)
        },
    }


def score_file(
    path: Path, *, working_days: int = DEFAULT_WORKING_DAYS
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = read_rows(path, working_days=working_days)
    scores = score_rows(rows)
    return [line_of(row, score) for row, score in zip(rows, scores, strict=True)], summary(scores)


def json_lines(lines: Iterable[dict[str, Any]], last: dict[str, Any]) -> Iterator[str]:
    import json

    for line in lines:
        yield json.dumps(line, ensure_ascii=False)
    yield json.dumps(last, ensure_ascii=False)
