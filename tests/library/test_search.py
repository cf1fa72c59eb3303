"""Chinese full-text search: segmentation-aware matching, phrases, ranking, filters, scoping.

These run on the database of the test run (SQLite FTS5 or PostgreSQL tsvector); the CI runs
them on both. The SQL builders of both databases are also checked on any database.
"""

from __future__ import annotations

import pytest
from django.db import connection

from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.library.search import (
    Phrase,
    Term,
    fts5_match,
    highlight,
    index_text,
    parse_query,
    pg_candidates_sql,
    pg_tsquery,
    word_parts,
)
from jiceng.library.selectors import SearchFilters, library_search, related_documents
from tests.library.factories import published


def titles(query: str, actor=ANONYMOUS, **filters) -> list[str]:
    return [
        hit.document.title
        for hit in library_search(actor=actor, query=query, filters=SearchFilters(**filters)).hits
    ]


# --- pure parts -----------------------------------------------------------------------------
def test_a_compound_word_is_tiled_by_its_dictionary_parts():
    assert word_parts("中华人民共和国") == ("中华", "人民", "共和国")
    assert word_parts("服务") == ()


def test_the_index_keeps_words_in_order_and_adds_the_parts_of_long_words():
    indexed = index_text("激活基层党组织服务力", "中华人民共和国党群服务中心")
    assert indexed.title_words.split() == ["激活", "基层", "党组织", "服务", "力"]
    assert "中华人民共和国" in indexed.body_words.split()
    assert {"人民", "共和国", "服务", "中心"} <= set(indexed.part_words.split())


def test_a_query_becomes_terms_and_quoted_phrases():
    parsed = parse_query('中华人民共和国 "服务群众"')
    assert parsed.clauses[0] == Phrase(("服务", "群众"))
    assert parsed.clauses[1] == Term("中华人民共和国", ("中华", "人民", "共和国"))
    assert [c.word for c in parse_query("基层党组织").clauses] == ["基层", "党组织"]


def test_stop_words_are_dropped_unless_nothing_else_is_left():
    assert [c.word for c in parse_query("我们的垃圾分类").clauses if isinstance(c, Term)] == [
        "垃圾",
        "分类",
    ] or [c.word for c in parse_query("我们的垃圾分类").clauses] == ["垃圾分类"]
    assert parse_query("的").clauses == [Term("的")]


def test_the_fts5_expression_quotes_user_text():
    parsed = parse_query('中华人民共和国 "服务 群众" a"b')
    expression = fts5_match(parsed)
    assert '("中华人民共和国" OR ("中华" AND "人民" AND "共和国"))' in expression
    assert '{title_words body_words} : "服务 群众"' in expression
    assert expression.count('"') % 2 == 0


def test_the_postgres_query_keeps_user_text_in_parameters():
    sql, params = pg_tsquery(parse_query('中华人民共和国 "服务 群众"'))
    assert "人民" not in sql and "%s" in sql
    assert params == ["服务 群众", "中华人民共和国", "中华 人民 共和国"]
    assert "phraseto_tsquery" in sql


def test_the_postgres_candidates_are_the_newest_matches_ranked_afterwards():
    sql, params = pg_candidates_sql(parse_query("基层党组织 服务"), 2000)
    assert "基层" not in sql and "服务" not in sql
    tsquery, tsquery_params = pg_tsquery(parse_query("基层党组织 服务"))
    assert sql.count(tsquery) == 2 and params == [*tsquery_params, *tsquery_params, 2000]
    # the window: one statement ordered by the primary key and cut at the limit, so the
    # planner can stop at the limit-th match; the ranking only over that window
    inner = sql[sql.index("FROM (") :]
    assert "ORDER BY document_id DESC LIMIT %s) AS newest" in inner
    assert "ts_rank_cd" not in inner
    assert sql.endswith("ORDER BY score DESC, document_id DESC")


def test_highlighting_escapes_html_and_marks_the_words():
    assert highlight("<b>基层</b>党组织", ["党组织", "基层"]) == (
        "&lt;b&gt;<mark>基层</mark>&lt;/b&gt;<mark>党组织</mark>"
    )
    snippet = highlight("开头" * 100 + "基层党组织" + "结尾" * 100, ["基层党组织"], length=40)
    assert snippet.startswith("…") and "<mark>基层党组织</mark>" in snippet


# --- against the database -------------------------------------------------------------------
@pytest.fixture
def corpus(db):
    published("社区治理的新路子", "加强基层党组织建设，服务群众。")
    published("基层调研手记", "基层干部走访了多个村，了解党组织换届情况。")
    published("垃圾分类的经验", "定时定点投放，积分兑换。", kind="experience", tags=["环境治理"])
    published(
        "党组织书记谈服务群众",
        "基层党组织要把服务群众放在首位。服务群众是根本。",
        source="当代党员",
    )
    published("无关的文章", "今天天气很好，适合郊游。")
    published("宪法学习", "学习中华人民共和国宪法，走进党群服务中心。")
    published("人民公园的共和国纪念碑", "游览记。")


def test_a_compound_query_finds_documents_with_its_parts_apart(corpus):
    found = titles("基层党组织")
    assert "基层调研手记" in found  # 基层 … 党组织, never the compound itself
    assert "无关的文章" not in found


def test_a_part_finds_the_compound(corpus):
    assert titles("共和国") == ["人民公园的共和国纪念碑", "宪法学习"]
    assert "宪法学习" in titles("中心")


def test_a_compound_query_finds_its_parts_anywhere(corpus):
    assert set(titles("中华人民共和国")) == {"宪法学习"}
    assert titles("人民共和国") == ["人民公园的共和国纪念碑", "宪法学习"] or set(
        titles("人民共和国")
    ) == {"人民公园的共和国纪念碑", "宪法学习"}


def test_a_phrase_needs_its_words_next_to_each_other(corpus):
    assert set(titles('"服务 群众"')) == {"社区治理的新路子", "党组织书记谈服务群众"}
    assert titles('"群众 服务"') == []


def test_ranking_puts_title_matches_first_then_more_frequent_body_matches(corpus):
    found = titles("服务群众")
    assert found[0] == "党组织书记谈服务群众"
    assert found[1] == "社区治理的新路子"


def test_filters_narrow_the_results(corpus):
    assert titles("", kind="experience") == ["垃圾分类的经验"]
    assert titles("基层", source="当代党员") == ["党组织书记谈服务群众"]
    assert titles("", tag="环境治理") == ["垃圾分类的经验"]
    assert titles("积分", tag="不存在") == []


def test_search_pages_without_counting(corpus, settings):
    from jiceng.library import selectors

    results = library_search(actor=ANONYMOUS, query="", page=1)
    assert len(results.hits) == 7 and not results.has_next
    original = selectors.PAGE_SIZE
    selectors.PAGE_SIZE = 2
    try:
        first = library_search(actor=ANONYMOUS, query="", page=1)
        third = library_search(actor=ANONYMOUS, query="", page=3)
    finally:
        selectors.PAGE_SIZE = original
    assert first.has_next and len(first.hits) == 2
    assert third.has_next and len(third.hits) == 2
    fourth = None
    selectors.PAGE_SIZE = 2
    try:
        fourth = library_search(actor=ANONYMOUS, query="", page=4)
    finally:
        selectors.PAGE_SIZE = original
    assert not fourth.has_next and len(fourth.hits) == 1


def test_odd_queries_answer_without_errors(corpus):
    for query in ['"', "NEAR(", "a AND OR", "*", "\\", "-基层", "{title_words}: x", "'); DROP"]:
        library_search(actor=ANONYMOUS, query=query)


def test_related_documents_share_content(corpus):
    from jiceng.library.models import Document

    document = Document.objects.get(title="社区治理的新路子")
    related = [d.title for d in related_documents(SYSTEM, document)]
    assert related and related[0] in {"党组织书记谈服务群众", "基层调研手记"}
    assert "社区治理的新路子" not in related


def test_the_index_is_that_of_the_database_in_use(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'library_fts'")
        else:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'library_searchentry' AND column_name = 'vector'"
            )
        assert cursor.fetchone() is not None


def test_a_short_candidate_list_falls_back_to_ranking_every_match(corpus, monkeypatch):
    from jiceng.library import selectors

    full = titles("服务群众")
    monkeypatch.setattr(selectors, "CANDIDATES", 1)
    assert titles("服务群众") == full
    assert titles("服务群众", kind="article") == [t for t in full if t != "垃圾分类的经验"]


def test_the_unit_filter_takes_the_subtree(tree):
    from jiceng.core.actors import SYSTEM as system
    from jiceng.library.services import DocumentFields, document_submit
    from tests.factories import actor_for
    from tests.library.factories import approve

    staff = actor_for(tree.people["community_staff"])
    approve(document_submit(actor=staff, fields=DocumentFields(title="柳岸经验", body="共同")))
    published("区里文章", "共同")
    assert titles("共同", actor=system, unit_path=tree.street_a.path) == ["柳岸经验"]
    assert titles("共同", actor=system, unit_path=tree.street_b.path) == []


def test_a_common_query_is_ranked_among_its_newest_matches(db, monkeypatch):
    from jiceng.library import selectors

    published("窗口词在标题", "别的内容")  # the best match, but the oldest
    published("较新的一篇", "正文里有窗口词")
    published("最新的一篇", "正文里有窗口词，窗口词出现两次")
    assert titles("窗口词")[0] == "窗口词在标题"
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    monkeypatch.setattr(selectors, "CANDIDATES", 2)
    first = library_search(actor=ANONYMOUS, query="窗口词")
    assert [h.document.title for h in first.hits] == ["最新的一篇"] and first.has_next


def test_the_page_keeps_the_order_of_ranking_every_match(corpus):
    from jiceng.library.models import Document
    from jiceng.library.selectors import _matching, documents_visible

    for query in ["基层党组织", "服务群众", "党组织", "基层", "积分 兑换", '"服务 群众"']:
        everything = _matching(documents_visible(ANONYMOUS).all(), parse_query(query))
        assert titles(query) == [document.title for document in everything], query
    assert Document.objects.count() == 7


def test_candidates_the_reader_may_not_see_are_skipped_slice_by_slice(tree, monkeypatch):
    from jiceng.library import selectors
    from tests.factories import actor_for
    from tests.library.factories import submitted

    staff = actor_for(tree.people["community_staff"])
    for number in range(5):  # drafts: the best matches (the word in the title), staff only
        submitted(staff, f"草稿{number}窗口词", "窗口词")
    for number in range(3):
        published(f"公开的第{number}篇", "正文提到窗口词" * (number + 1))
    expected = titles("窗口词")
    assert sorted(expected) == ["公开的第0篇", "公开的第1篇", "公开的第2篇"]
    staff_view = titles("窗口词", actor=staff)
    assert all(title.startswith("草稿") for title in staff_view[:5])  # ranked above the rest
    assert [t for t in staff_view if t.startswith("公开")] == expected
    monkeypatch.setattr(selectors, "FIRST_SLICE", 1)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 1)
    pages = [library_search(actor=ANONYMOUS, query="窗口词", page=n) for n in (1, 2, 3)]
    assert [page.hits[0].document.title for page in pages] == expected
    assert [page.has_next for page in pages] == [True, True, False]


@pytest.mark.django_db
def test_the_public_snippet_comes_from_the_part_the_public_may_read(settings):
    """Search still finds a word beyond the preview, but shows the public no text past it;
    staff, who read the whole document, see the passage around the word."""
    settings.LIBRARY_PREVIEW_CHARS = 40
    published("网格化管理的做法", "开头介绍社区情况。" * 10 + "后文才写到议事协商的具体做法。")
    public = library_search(actor=ANONYMOUS, query="议事协商").hits
    assert [hit.document.title for hit in public] == ["网格化管理的做法"]
    assert "议事" not in public[0].snippet_html and "开头介绍" in public[0].snippet_html
    staff = library_search(actor=SYSTEM, query="议事协商").hits
    assert "<mark>议事</mark>" in staff[0].snippet_html or "<mark>议事协商</mark>" in (
        staff[0].snippet_html
    )
