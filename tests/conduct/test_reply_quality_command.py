"""The reply_quality command on our own small CSV, on a malformed one, and on the shared file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.shared_data import shared_file

COLUMNS = ["id", "user", "title", "time", "body", "reply", "reply_time"]
TEMPLATE = "目前正在编制轨道交通线网规划，对于您的意见和建议，将充分论证研究。感谢您的支持！"
ROWS = [
    [
        "1",
        "居民甲",
        "小区路灯不亮",
        "2024/3/1 9:00:00",
        "晚上小区路灯不亮，老人出门摔倒，路灯坏了一个月。",
        "您好！经现场查看，物业公司已于3月5日更换了小区路灯，下一步将每月巡查一次。感谢您的反映。",
        "2024/3/6 10:00:00",
    ],
    [
        "2",
        "居民乙",
        "噪音扰民",
        "2024/3/1 9:00:00",
        "夜宵摊噪音很大",
        "网友：您好！留言已收悉",
        "2024/3/2 9:00:00",
    ],
    [
        "3",
        "居民丙",
        "地铁二号线延伸",
        "2024/3/1 9:00:00",
        "希望地铁二号线向西延伸到梅溪湖",
        TEMPLATE,
        "2024/3/4 9:00:00",
    ],
    [
        "4",
        "居民丁",
        "公交站名更改",
        "2024/3/1 9:00:00",
        "建议将白竹坡路口站改名为马坡岭小学站",
        TEMPLATE,
        "2024/5/30",
    ],
]


def _write(path: Path, rows: list[list[str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_scores_each_message_and_summarises(tmp_path):
    output = tmp_path / "scores.jsonl"
    call_command("reply_quality", input=str(_write(tmp_path / "in.csv", ROWS)), output=str(output))
    lines = _lines(output)
    assert len(lines) == 5
    scored, summary = lines[:4], lines[4]
    assert [line["id"] for line in scored] == [1, 2, 3, 4]
    for line in scored:
        assert set(line) >= {
            "id",
            "relevance",
            "completeness",
            "politeness",
            "timeliness",
            "originality",
            "total",
            "flags",
        }
    good, ack, first_use, reuse = scored
    assert good["flags"] == [] and not good["perfunctory"]
    assert "ack_only" in ack["flags"] and ack["perfunctory"]
    # The template's first use is original; its use for an unrelated request is boilerplate,
    # and (a date alone is the end of that day) 2024-05-30 is past 15 working days.
    assert "boilerplate" not in first_use["flags"]
    assert {"boilerplate", "late"} <= set(reuse["flags"])
    assert summary["summary"] is True
    assert summary["count"] == 4
    assert summary["perfunctory"] == sum(line["perfunctory"] for line in scored)
    assert summary["share_perfunctory"] == pytest.approx(summary["perfunctory"] / 4)
    assert summary["flags"]["ack_only"] == 1
    assert summary["share_flags"]["boilerplate"] == 0.25
    assert summary["mean"] == pytest.approx(sum(line["total"] for line in scored) / 4, abs=0.05)


def test_writes_to_stdout_without_output(tmp_path, capsys):
    call_command("reply_quality", input=str(_write(tmp_path / "in.csv", ROWS[:1])))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2 and lines[1]["count"] == 1


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ([["1", "x", "y"]], ["id", "title", "body"], "missing column(s) time, reply, reply_time"),
        ([[*ROWS[0][:3], "yesterday", *ROWS[0][4:]]], COLUMNS, "line 2: time yesterday"),
        ([[*ROWS[0][:6], "2024/13/40"]], COLUMNS, "reply_time 2024/13/40"),
        ([["", *ROWS[0][1:]]], COLUMNS, "the id is empty"),
        ([ROWS[0][:5]], COLUMNS, "one value per column"),
        ([], COLUMNS, "no messages"),
    ],
)
def test_a_malformed_file_is_refused_and_nothing_written(tmp_path, rows, columns, message):
    source = _write(tmp_path / "bad.csv", rows, columns)
    output = tmp_path / "scores.jsonl"
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")),
    ):
        call_command("reply_quality", input=str(source), output=str(output))
    assert list(tmp_path.iterdir()) == [source]


def test_a_bad_output_is_refused_before_anything_is_written(tmp_path):
    source = _write(tmp_path / "in.csv", ROWS)
    with translation.override("en"):
        with pytest.raises(CommandError, match="no such folder"):
            call_command(
                "reply_quality", input=str(source), output=str(tmp_path / "no" / "x.jsonl")
            )
        with pytest.raises(CommandError, match="must not be the input"):
            call_command("reply_quality", input=str(source), output=str(source))
    assert list(tmp_path.iterdir()) == [source]
    assert source.read_text(encoding="utf-8").startswith("id,user,title")


@translation.override("en")
def test_an_empty_or_binary_file_is_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("reply_quality", input=str(empty))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00id,title")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("reply_quality", input=str(binary))
    with pytest.raises(CommandError, match="no such file"):
        call_command("reply_quality", input=str(tmp_path / "absent.csv"))


def test_the_shared_replies_file(tmp_path):
    shared_replies = shared_file("messages-with-replies-2816.csv")
    output = tmp_path / "scores.jsonl"
    call_command("reply_quality", input=str(shared_replies), output=str(output))
    lines = _lines(output)
    assert len(lines) == 2816 + 1
    summary = lines[-1]
    assert summary["count"] == 2816
    assert sum(summary["histogram"].values()) == 2816
    components = ("relevance", "completeness", "politeness", "timeliness", "originality")
    for line in lines[:-1]:
        assert all(0 <= line[name] <= 1 for name in components)
        assert 0 <= line["total"] <= 100
    # The file's known acknowledgements only ("网友：您好！留言已收悉", 32 of them) are caught.
    acks = [line for line in lines[:-1] if "ack_only" in line["flags"]]
    assert len(acks) >= 32
    assert all(line["perfunctory"] for line in acks)
