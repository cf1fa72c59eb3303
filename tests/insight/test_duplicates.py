"""The pure parts of duplicate detection: words, hashes, similarity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiceng.insight import duplicates


def test_similarity_is_the_cosine_of_the_word_sets():
    assert duplicates.similarity({1, 2, 3}, {2, 3, 4}) == pytest.approx(2 / 3)  # 2 / √(3·3)
    assert duplicates.similarity({1, 2}, {1, 2}) == 1.0
    assert duplicates.similarity({1}, {2}) == 0.0
    assert duplicates.similarity(set(), set()) == 0.0
    assert duplicates.similarity({1}, set()) == 0.0
    assert duplicates.similarity({"垃圾", "清运"}, {"垃圾"}) == pytest.approx(1 / 2**0.5)
    # A short typed text against a long stored one: 2 of 2 shared with 8 → 2 / √16 = 0.5
    assert duplicates.similarity({1, 2}, set(range(1, 9))) == 0.5


def test_term_hash_is_stable_and_fits_32_bits():
    value = duplicates.term_hash("垃圾站")
    assert value == duplicates.term_hash("垃圾站")
    assert -(2**31) <= value < 2**31
    assert value != duplicates.term_hash("垃圾")


def test_ranked_words_put_the_title_first_then_longer_words():
    words = duplicates.ranked_words("垃圾站满溢", "垃圾站三天没有清运，气味很大")
    assert words[0] == "垃圾站"
    assert "清运" in words
    assert all(len(word) >= 2 for word in words)
    assert len(words) == len(set(words))
    tail = words[words.index("满溢") + 1 :]
    assert [len(w) for w in tail] == sorted((len(w) for w in tail), reverse=True)


def test_text_terms_cap_postings_and_keep_the_signature():
    long_text = "，".join(f"词语{chr(0x4E00 + i)}{chr(0x4E80 + i)}" for i in range(200))
    terms = duplicates.text_terms("标题", long_text)
    assert len(terms.postings) == duplicates.INDEX_TERMS
    assert len(terms.signature) <= duplicates.SIGNATURE_TERMS
    assert set(terms.postings) <= terms.signature
    assert duplicates.parse_signature(terms.signature_text) == terms.signature


def test_the_same_text_scores_one_and_a_reworded_one_less():
    a = duplicates.text_terms("柳岸花园垃圾站满溢", "垃圾站三天没有清运，气味很大，请尽快处理")
    b = duplicates.text_terms("柳岸花园垃圾站满溢", "垃圾站三天没有清运，气味很大，请尽快处理")
    c = duplicates.text_terms("垃圾站没人清运", "柳岸花园的垃圾站好几天没有清运了，气味难闻")
    d = duplicates.text_terms("路灯不亮", "湖滨路的路灯晚上不亮，行人看不清路")
    assert duplicates.similarity(a.signature, b.signature) == 1.0
    assert 0 < duplicates.similarity(a.signature, c.signature) < 1
    assert duplicates.similarity(a.signature, d.signature) < duplicates.similarity(
        a.signature, c.signature
    )


def test_day_number():
    assert duplicates.day_number(datetime(1970, 1, 2, 12, tzinfo=UTC)) == 1


def test_duplicates_evaluate_counts_reposts(tmp_path):
    import csv
    import json
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "votes.csv"
    rows = [
        (
            "1",
            "小区垃圾站满溢没人清运",
            "柳岸花园垃圾站三天没有清运，气味很大，苍蝇很多",
            "2019/3/1 10:00:00",
        ),
        (
            "2",
            "湖滨路路灯不亮",
            "湖滨路的路灯晚上全部不亮，行人看不清路，很危险",
            "2019/3/2 10:00:00",
        ),
        (
            "3",
            "小区垃圾站满溢没人清运",
            "柳岸花园垃圾站三天没有清运，气味很大，苍蝇很多",
            "2019/3/3 10:00:00",
        ),
        (
            "4",
            "学校门口交通拥堵",
            "每天早上学校门口车辆乱停，接送孩子非常拥堵",
            "2019/9/3 10:00:00",
        ),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "user", "title", "time", "body", "upvotes", "downvotes"])
        for pk, title, body, moment in rows:
            writer.writerow([pk, "u", title, moment, body, 0, 0])
    out = StringIO()
    call_command("duplicates_evaluate", "--input", str(path), "--thresholds", "0.5", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["messages"], result["repost_groups"], result["true_pairs"]) == (4, 1, 1)
    assert result["results"] == [
        {
            "threshold": 0.5,
            "predicted_pairs": 1,
            "true_positives": 1,
            "precision": 1.0,
            "recall": 1.0,
            "loose_precision": 1.0,
            "loose_recall": 1.0,
        }
    ]


def test_duplicates_evaluate_refuses_a_missing_file_and_bad_thresholds(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.utils import translation

    absent = str(tmp_path / "absent.csv")
    with translation.override("en"):
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("duplicates_evaluate", "--input", absent)
        with pytest.raises(CommandError, match="numbers separated by commas"):
            call_command("duplicates_evaluate", "--input", absent, "--thresholds", "0.3,high")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00id,title")
    with translation.override("en"), pytest.raises(CommandError, match="not UTF-8"):
        call_command("duplicates_evaluate", "--input", str(binary))
