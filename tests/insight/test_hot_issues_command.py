"""`manage.py hot_issues --input FILE.csv`: JSON lines on an own file and on the shared file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.shared_data import shared_file

OWN = """id,user,title,time,body,upvotes,downvotes
1,u1,柳岸路垃圾站满溢没人清运,2026/3/1 9:00:00,柳岸路88号小区垃圾站已经三天没有清运，气味很大。,3,0
2,u2,柳岸路小区垃圾站三天没清运,2026/3/2 10:00:00,垃圾站满了，臭味很大，柳岸路居民希望清运。,0,0
3,u2,小区垃圾站满溢气味大,2026/3/3 11:00:00,柳岸路的垃圾站堆满了垃圾，好几天没有清运。,1,0
4,u4,夜间施工噪音扰民,2026/3/3 12:00:00,湖滨路工地晚上十二点还在施工，噪音很大，无法休息。,0,0
"""


def run(path: Path, *args: str) -> list[dict]:
    out = io.StringIO()
    call_command("hot_issues", "--input", str(path), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_own_file(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text(OWN, encoding="utf-8")
    rows = run(path, "--top", "10")
    assert len(rows) == 2
    rubbish, noise = rows
    assert rubbish["count"] == 3
    assert rubbish["residents"] == 2  # u2 wrote twice
    assert rubbish["support"] == 4
    assert rubbish["first_seen"] == "2026-03-01 09:00:00"
    assert rubbish["last_seen"] == "2026-03-03 11:00:00"
    assert sorted(rubbish["ids"]) == ["1", "2", "3"]
    assert noise["count"] == 1 and noise["title"] == "夜间施工噪音扰民"
    assert rubbish["heat"] > noise["heat"]
    assert run(path, "--top", "1") == rows[:1]


def test_gb18030_file_and_place_column(tmp_path):
    path = tmp_path / "gbk.csv"
    text = "title,body,time,place\n路灯坏了,湖滨路路灯不亮,2026-03-01 20:00,湖滨社区\n"
    path.write_bytes(text.encode("gb18030"))
    (row,) = run(path)
    assert row["place"] == "湖滨社区" and row["residents"] == 1 and row["support"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,body\nx,y\n", "no column time"),
        ("title,body,time\nx,y,yesterday\n", "Line 2"),
        ("title,body,time,upvotes\nx,y,2026/3/1 9:00,-3\n", "whole number"),
        ("", "empty"),
        ("title,body,time\n", "no messages"),
    ],
)
def test_bad_input_is_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError, match=message):
        run(path)


def test_bad_input_is_refused_in_the_users_language(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("", encoding="utf-8")
    with translation.override("zh-hans"), pytest.raises(CommandError, match="文件是空的"):
        run(path)


def test_bad_options_and_missing_file(tmp_path):
    with translation.override("en"), pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "absent.csv")
    path = tmp_path / "own.csv"
    path.write_text(OWN, encoding="utf-8")
    for args in (("--top", "0"), ("--threshold", "1.5"), ("--half-life", "0"), ("--now", "x")):
        with pytest.raises(CommandError):
            run(path, *args)


def test_shared_votes_file_shape():
    rows = run(shared_file("messages-with-votes-4326.csv"), "--top", "10")
    assert len(rows) == 10
    keys = {"title", "place", "first_seen", "last_seen", "count", "residents", "support", "heat"}
    for row in rows:
        assert keys <= row.keys()
        assert row["count"] >= row["residents"] >= 1
        assert row["first_seen"] <= row["last_seen"]
        assert len(row["trend"]["weekly"]) == 8
    heats = [r["heat"] for r in rows]
    assert heats == sorted(heats, reverse=True)
    # many residents report the same problem in different words: the top issue groups several
    assert rows[0]["count"] >= 5
