"""What keeps the staff list pages cheap at a million cases (docs/PERFORMANCE.md, section 2):
the worklist's index, the bounded text search, day filters as ranges, the cached category
filter, the columns the lists load, and SQLite's planner statistics."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models.sql import Query
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.cases import selectors
from jiceng.cases.models import OPEN_STATUSES, Case, Category, LiteralIn
from jiceng.cases.selectors import TEXT_SEARCH_DAYS, CaseFilter, unit_queue
from jiceng.core import clock
from jiceng.core.dbstats import sqlite_optimize
from jiceng.core.pagination import decode_cursor, encode_cursor, paginate
from jiceng.core.tasks import optimize_database
from jiceng.orgs.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")


def _signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _queue(client: Client, **params) -> str:
    return client.get(reverse("case_queue"), params, **EN).content.decode()


class TestWorklistIndex:
    def test_current_unit_has_no_index_of_its_own(self, db):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, Case._meta.db_table)
        starting_with_unit = {
            name: info["columns"]
            for name, info in constraints.items()
            if info["index"] and info["columns"][:1] == ["current_unit_id"]
        }
        assert starting_with_unit == {"case_queue_idx": ["current_unit_id", "status", "resolve_by"]}

    @sqlite_only
    def test_the_worklist_searches_case_queue_idx(self, tree, submit, secretary):
        for _ in range(3):
            submit()
        sql, params = selectors.worklist(secretary).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "USING INDEX case_queue_idx (current_unit_id=? AND status=?)" in plan


class TestOverdueView:
    def _overdue(self, submit, hours_late: list[int]) -> list[Case]:
        made = []
        for late in hours_late:
            case = submit(title=f"超期{late}小时")
            Case.objects.filter(pk=case.pk).update(
                resolve_by=clock.now() - timedelta(hours=late),
                respond_by=clock.now() - timedelta(hours=late + 1),
            )
            made.append(case)
        return made

    def test_most_overdue_first_and_only_open_cases(self, tree, submit, actors):
        a, b, c = self._overdue(submit, [2, 30, 5])
        submit(title="还没到期")
        closed = self._overdue(submit, [90])[0]
        Case.objects.filter(pk=closed.pk).update(status="closed")
        listed = unit_queue(actors[Role.STREET_SUPERVISOR], CaseFilter(overdue=True))
        assert [case.pk for case in listed] == [b.pk, c.pk, a.pk]
        assert not CaseFilter(overdue=True).newest_first and CaseFilter().newest_first

    def test_the_page_lists_them_and_pages_by_number(self, tree, submit):
        self._overdue(submit, [2, 30, 5])
        page = _queue(_signed_in(tree, Role.STREET_SUPERVISOR), overdue="on")
        titles = re.findall(r"超期(\d+)小时", page)
        assert titles == ["30", "5", "2"]

    def test_the_query_repeats_the_partial_indexs_condition_literally(self, tree, actors):
        # SQLite uses case_open_resolve_idx only when the query contains the index's condition
        # with the same constants; bound parameters do not count. (Which plan wins depends on
        # the table's statistics: at a million cases it is this index, PERFORMANCE.md §2.)
        queryset = unit_queue(actors[Role.STREET_SUPERVISOR], CaseFilter(overdue=True))
        sql, _params = queryset.query.sql_with_params()
        statuses = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        assert f'"cases_case"."status" IN ({statuses})' in sql
        index = next(i for i in Case._meta.indexes if i.name == "case_open_resolve_idx")
        query = Query(model=Case, alias_cols=False)  # as the index's CREATE statement is made
        condition, params = query.build_where(index.condition).as_sql(
            query.get_compiler(connection=connection), connection
        )
        assert condition == f'"status" IN ({statuses})' and not params

    def test_only_plain_codes_are_written_into_sql(self):
        with pytest.raises(ValueError):
            LiteralIn("status", ("closed', 'x",))


class TestTextSearch:
    def test_a_tracking_code_finds_a_request_of_any_age(self, tree, submit):
        old = submit(title="积水问题", submitted_at=clock.now() - timedelta(days=400))
        page = _queue(_signed_in(tree, Role.STREET_SUPERVISOR), q=old.tracking_code.lower())
        assert old.tracking_code in page

    def test_words_search_the_recent_requests_unless_dates_are_given(self, tree, submit):
        now = clock.now()
        recent = submit(title="路灯不亮", submitted_at=now - timedelta(days=TEXT_SEARCH_DAYS - 1))
        old = submit(title="路灯坏了", submitted_at=now - timedelta(days=TEXT_SEARCH_DAYS + 5))
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        page = _queue(client, q="路灯")
        assert recent.tracking_code in page and old.tracking_code not in page
        # The form says so.
        assert f"of the last {TEXT_SEARCH_DAYS} days, unless you give dates" in page
        day = old.submitted_at.astimezone(SHANGHAI).date()
        dated = _queue(client, q="路灯", submitted_from=day.isoformat())
        assert recent.tracking_code in dated and old.tracking_code in dated
        until = _queue(client, q="路灯", submitted_to=day.isoformat())
        assert old.tracking_code in until and recent.tracking_code not in until

    def test_the_help_text_is_translated(self, tree):
        page = _signed_in(tree, Role.STREET_SUPERVISOR).get(reverse("case_queue"), **ZH)
        assert f"最近 {TEXT_SEARCH_DAYS} 天" in page.content.decode()


class TestDayFilters:
    def test_days_are_local_days(self, tree, submit, actors):
        # 2025-03-05 23:30 in Shanghai is 15:30 UTC: the 5th, not the 6th.
        late = submit(title="深夜噪音", submitted_at=datetime(2025, 3, 5, 23, 30, tzinfo=SHANGHAI))
        supervisor = actors[Role.STREET_SUPERVISOR]

        def found(**days: date) -> bool:
            return unit_queue(supervisor, CaseFilter(**days)).filter(pk=late.pk).exists()

        assert found(submitted_from=date(2025, 3, 5), submitted_to=date(2025, 3, 5))
        assert not found(submitted_from=date(2025, 3, 6))
        assert not found(submitted_to=date(2025, 3, 4))
        assert found(submitted_from=date.min, submitted_to=date.max)

    def test_the_ends_of_the_calendar_answer(self, tree, submit):
        submit()
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        for params in (
            {"submitted_from": "0001-01-01", "submitted_to": "9999-12-31"},
            {"submitted_to": "0001-01-01", "q": "垃圾"},
        ):
            assert client.get(reverse("case_queue"), params).status_code == 200


class TestCategoryFilter:
    def test_the_categories_are_not_read_on_every_page(self, tree, submit):
        submit()
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        assert "Rubbish" in _queue(client)  # the first page fills the cache
        with CaptureQueriesContext(connection) as queries:
            page = _queue(client)
        assert 'value="rubbish"' in page and "Any category" in page
        assert not [q for q in queries if 'FROM "cases_category"' in q["sql"]]

    def test_a_changed_category_shows_at_once(self, tree):
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        assert 'value="rubbish"' in _queue(client)
        rubbish = Category.objects.get(code="rubbish")
        rubbish.name_en = "Overflowing bins"
        rubbish.save()
        assert "Overflowing bins" in _queue(client)
        rubbish.is_active = False
        rubbish.save()
        assert 'value="rubbish"' not in _queue(client)

    def test_the_chosen_category_stays_selected_and_filters(self, tree, submit):
        submit(title="垃圾未清运")
        submit(title="电梯停运", category=Category.objects.get(code="lift"))
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        page = _queue(client, category="lift")
        assert '<option value="lift" selected>' in page
        assert "电梯停运" in page and "垃圾未清运" not in page
        group = Category.objects.get(code="lift").parent
        assert group is not None
        assert "电梯停运" in _queue(client, category=group.code)
        # A category deactivated after the choices were read is refused, not an error.
        Category.objects.filter(code="lift").update(is_active=False)  # no signal: stale cache
        refused = _queue(client, category="lift")
        assert "Select a valid choice" in refused and "垃圾未清运" in refused


class TestListColumns:
    def test_the_lists_load_what_the_tables_show(self, tree, submit, actors):
        case = submit()
        supervisor = actors[Role.STREET_SUPERVISOR]
        for queryset in (
            selectors.listed(unit_queue(supervisor, CaseFilter())),
            selectors.worklist(actors[Role.BRANCH_SECRETARY]),
        ):
            sql = str(queryset.query)
            assert '"description"' not in sql and '"reporter_phone"' not in sql
            with CaptureQueriesContext(connection) as queries:
                (listed,) = list(queryset)
                # Everything the case table shows, without another query.
                shown = (
                    listed.title,
                    listed.tracking_code,
                    listed.area.name,
                    listed.category.display_name,
                    listed.current_unit.name,
                    listed.get_status_display(),
                    listed.is_overdue(),
                    listed.resolve_by,
                    listed.priority,
                )
            assert len(queries) == 1 and shown[1] == case.tracking_code

    def test_exports_still_get_every_column(self, tree, submit, actors):
        submit(reporter_phone="13900001111")
        (case,) = unit_queue(actors[Role.STREET_SUPERVISOR], CaseFilter())
        assert case.get_deferred_fields() == set()


class TestPlannerStatistics:
    def test_sqlite_gets_statistics_and_other_databases_are_left_alone(self, tree, submit):
        submit()
        done = optimize_database.call_local()
        assert done == sqlite_optimize(connection) == (connection.vendor == "sqlite")
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
                analysed = {row[0] for row in cursor.fetchall()}
            assert "cases_case" in analysed


class TestKeysetPages:
    """The queue pages by key: each page starts after the previous page's last row."""

    @pytest.fixture
    def seven(self, tree, submit):
        base = clock.now() - timedelta(days=1)
        same = base + timedelta(hours=1)
        cases = [
            submit(title=f"诉求{n}", submitted_at=base + timedelta(minutes=n)) for n in range(5)
        ]
        # Two submitted at the same moment: the id breaks the tie.
        cases += [submit(title=f"同时{n}", submitted_at=same) for n in range(2)]
        return sorted(cases, key=lambda case: (case.submitted_at, case.pk), reverse=True)

    def _walk(self, actors, url_query: str, page_size: int = 2):
        request = RequestFactory().get("/" + url_query)
        queryset = unit_queue(actors[Role.STREET_SUPERVISOR], CaseFilter())
        return paginate(request, queryset, page_size=page_size, keyset="submitted_at")

    def test_next_and_previous_walk_the_whole_list_once(self, seven, actors):
        page = self._walk(actors, "")
        assert page.number == 1 and not page.has_previous and page.has_next
        seen = list(page)
        pages = [page]
        while page.has_next:
            page = self._walk(actors, page.next_url)
            seen.extend(page)
            pages.append(page)
        assert [case.pk for case in seen] == [case.pk for case in seven]
        assert [p.number for p in pages] == [1, 2, 3, 4]
        assert pages[1].previous_url == "?page=1"  # the start, whatever came in since
        assert "before=" in pages[2].previous_url and "after=" in pages[2].next_url
        # Back from the last page, page by page, to the start.
        back = pages[-1]
        for expected in reversed(pages[:-1]):
            back = self._walk(actors, back.previous_url)
            assert [c.pk for c in back] == [c.pk for c in expected]
            assert back.number == expected.number
        assert not back.has_previous

    def test_plain_page_numbers_still_work(self, seven, actors):
        page = self._walk(actors, "?page=3")
        assert [c.pk for c in page] == [c.pk for c in seven[4:6]]
        assert page.has_previous and page.has_next
        after = self._walk(actors, page.next_url)
        assert [c.pk for c in after] == [seven[6].pk] and not after.has_next

    def test_a_broken_cursor_falls_back_to_the_page_number(self, seven, actors):
        for query in (
            "?page=2&after=x.1",
            "?page=2&after=99999999999999999999.1",
            "?page=2&before=..",
        ):
            assert [c.pk for c in self._walk(actors, query)] == [c.pk for c in seven[2:4]]

    def test_cursors_round_trip(self):
        moment = datetime(2026, 3, 31, 15, 30, 0, 123456, tzinfo=UTC)
        assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
        assert decode_cursor("") is None and decode_cursor("1.2.3") is None

    def test_the_queue_links_carry_the_cursor_and_cost_the_same(
        self, tree, submit, django_assert_max_num_queries
    ):
        for n in range(30):
            submit(title=f"诉求{n}")
        client = _signed_in(tree, Role.STREET_SUPERVISOR)
        first = client.get(reverse("case_queue")).content.decode()
        match = re.search(r'href="\?(page=2&amp;after=[0-9.]+)" rel="next"', first)
        assert match is not None, "the next link carries the last row's cursor"
        with django_assert_max_num_queries(16):
            second = client.get(reverse("case_queue") + "?" + html.unescape(match.group(1)))
        assert second.status_code == 200
        titles = re.findall(r">(诉求[0-9]+)</a>", first) + re.findall(
            r">(诉求[0-9]+)</a>", second.content.decode()
        )
        assert sorted(titles) == sorted(f"诉求{n}" for n in range(30))
