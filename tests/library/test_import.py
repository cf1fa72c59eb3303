"""library_import: the seed page, XLSX lists, folders; idempotent; malformed input refused."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiceng.core.models import AuditEntry
from jiceng.library.importer import ImportProblem, parse_page
from jiceng.library.models import Document, RelatedLink
from tests.shared_data import shared_file

PAGE = """示范文章标题

来源 :示范期刊 | 被引量 : 3次 | 上传用户:tester
下载到本地 , 更方便阅读
声明 : 本文档内容版权归属内容提供方
论文部分内容阅读
  第一段正文，讲基层党组织服务群众。
  第二段正文。
  ——某某单位 张三
其他文献
第一篇其他文献的开头。后面还有内容
第二篇其他文献的开头
"""


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in the source language, whatever the catalogue holds."""
    with translation.override("en"):
        yield


def run(path: Path) -> str:
    out = StringIO()
    call_command("library_import", str(path), stdout=out, stderr=out)
    return out.getvalue()


def test_the_seed_page_imports_with_metadata_body_and_ten_related_excerpts(db):
    seed_page = shared_file("000_247ff00ec5a3250e.txt")
    output = run(seed_page)
    article = Document.objects.get(is_stub=False)
    assert article.title == "“四管齐下”,激活基层党组织服务力"
    assert article.source == "当代党员"
    assert article.times_cited == 0
    assert article.uploader_name == "knightxmu"
    assert article.body.startswith("贯彻党要管党")
    assert "论文部分内容阅读" not in article.body and "其他文献" not in article.body
    assert article.authors == "江津区委常委、组织部长 涂开祥"
    assert RelatedLink.objects.filter(document=article).count() == 10
    assert Document.objects.filter(is_stub=True).count() == 10
    assert "11 created, 0 skipped" in output
    assert AuditEntry.objects.filter(action="library.document.imported").count() == 11

    again = run(seed_page)
    assert "0 created, 11 skipped" in again
    assert Document.objects.count() == 11
    assert RelatedLink.objects.count() == 10


def test_a_page_is_parsed_into_its_parts():
    parsed = parse_page(PAGE)
    assert (parsed.title, parsed.source, parsed.cited, parsed.uploader) == (
        "示范文章标题",
        "示范期刊",
        3,
        "tester",
    )
    assert parsed.authors == "某某单位 张三"
    assert [r.title for r in parsed.related] == ["第一篇其他文献的开头", "第二篇其他文献的开头"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", "line 1"),
        ("标题\n论文部分内容阅读\n正文\n", "line 2"),  # no 来源 line
        ("标题\n来源 :期刊 | 被引量 : 很多\n论文部分内容阅读\n正文\n", "line 2"),
        ("标题\n来源 :期刊\n正文但没有标记\n", "line 4"),
        ("标题\n来源 :期刊\n论文部分内容阅读\n\n其他文献\n", "line 3"),
    ],
)
def test_malformed_pages_are_refused_with_the_line(text, line):
    with pytest.raises(ImportProblem) as problem:
        parse_page(text)
    assert any(line in message for message in problem.value.problems)


def test_a_malformed_file_is_refused_and_creates_nothing(db, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("标题\n论文部分内容阅读\n正文\n", encoding="utf-8")
    with pytest.raises(CommandError):
        run(bad)
    assert not Document.objects.exists()


def test_a_folder_with_pages_and_an_xlsx_list(db, tmp_path):
    from openpyxl import Workbook

    (tmp_path / "page.txt").write_text(PAGE, encoding="gb18030")
    (tmp_path / "body.txt").write_text("文件里的正文：垃圾分类积分兑换。", encoding="utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["标题", "作者", "来源", "日期", "类型", "标签", "正文", "正文文件"])
    sheet.append(
        [
            "列表文章一",
            "李四",
            "青禾组工",
            "2024-05-01",
            "经验材料",
            "环境治理,垃圾分类",
            "正文一",
            None,
        ]
    )
    sheet.append(["列表文章二", "", "", "2023", "政策文件", "", None, "body.txt"])
    workbook.save(tmp_path / "list.xlsx")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    first_run = StringIO()
    with pytest.raises(CommandError):  # body.txt is not a page: refused, named
        call_command("library_import", str(tmp_path), stdout=first_run, stderr=first_run)
    output = first_run.getvalue()
    assert "notes.pdf: not a page or list" in output
    assert "created: 列表文章一" in output
    first = Document.objects.get(title="列表文章一")
    assert (first.kind, first.year, first.tag_list) == (
        "experience",
        2024,
        ["环境治理", "垃圾分类"],
    )
    assert Document.objects.get(title="列表文章二").body.startswith("文件里的正文")
    assert Document.objects.filter(title="示范文章标题").exists()
    assert "body.txt: line" in output
    count = Document.objects.count()
    run_again = StringIO()
    with pytest.raises(CommandError):
        call_command("library_import", str(tmp_path), stdout=run_again, stderr=run_again)
    assert Document.objects.count() == count
    assert "0 created" in run_again.getvalue()


def test_an_xlsx_with_bad_rows_is_refused_naming_the_rows(db, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["标题", "日期", "类型", "正文"])
    sheet.append(["好的一行", "2024-01-01", "文章", "正文"])
    sheet.append(["", "2024-01-01", "文章", "正文"])
    sheet.append(["坏日期", "明年", "文章", "正文"])
    sheet.append(["坏类型", "2024-01-01", "小说", "正文"])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("library_import", str(path), stdout=out, stderr=out)
    text = out.getvalue()
    assert "row 3" in text and "row 4" in text and "row 5" in text and "row 2" not in text
    assert not Document.objects.exists()


def test_a_file_that_is_not_a_workbook(db, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError):
        run(path)
