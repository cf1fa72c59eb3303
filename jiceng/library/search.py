"""Chinese full-text search: what is indexed, how a query is understood, and the SQL per database.

Indexing stores each document's text cut into words by jieba (`jiceng.core.text`), joined by
spaces: title words and body words in reading order, and the shorter parts of long words in a
third column. The databases then only split on spaces (SQLite FTS5 `unicode61`, PostgreSQL's
'simple' configuration), so both see exactly the same words.

A query is cut the same way. Each query word must match (AND); a word matches itself or, when it
is a compound jieba knows the parts of, all of its parts anywhere (基层党组织 finds a text with
基层 … 党组织). Text in double quotes is a phrase: its words must follow each other.
`any_words` (related documents) asks for any of the words instead of all.

Pure functions here (no ORM): tests exercise both SQL builders on any database.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from jiceng.core.text import STOP_WORDS, search_words, words

MAX_TERMS = 8
MAX_INDEXED_CHARS = 200_000  # PostgreSQL's tsvector holds at most 1 MB
# Column weights: title, body (with attachment text), parts of words.
SQLITE_WEIGHTS = (10.0, 1.0, 0.3)
POSTGRES_WEIGHTS = "{0.05, 0.1, 0.2, 1.0}"  # D, C, B, A


@dataclass(frozen=True)
class IndexedText:
    title_words: str
    body_words: str
    part_words: str


def index_text(title: str, body: str) -> IndexedText:
    """The three columns of a document's search entry."""
    title_list = words(title)
    body_list = words(body[:MAX_INDEXED_CHARS])
    parts: list[str] = []
    for word_list in (title_list, body_list):
        whole = set(word_list)
        for word in dict.fromkeys(word_list):  # each distinct word once, in order
            if len(word) > 2:
                parts.extend(p for p in _parts_of(word) if p not in whole)
    return IndexedText(" ".join(title_list), " ".join(body_list), " ".join(parts))


@lru_cache(maxsize=50_000)
def _parts_of(word: str) -> tuple[str, ...]:
    return tuple(p for p in search_words(word) if p != word)


@dataclass(frozen=True)
class Term:
    """One query word: the word itself, or all of `parts` (empty when it has none)."""

    word: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass
class ParsedQuery:
    clauses: list[Term | Phrase] = field(default_factory=list)
    any_words: bool = False

    @property
    def empty(self) -> bool:
        return not self.clauses

    def highlight_words(self) -> list[str]:
        found: list[str] = []
        for clause in self.clauses:
            if isinstance(clause, Phrase):
                found.extend(clause.words)
            else:
                found.append(clause.word)
                found.extend(clause.parts)
        return sorted(set(found), key=len, reverse=True)


def word_parts(word: str) -> tuple[str, ...]:
    """Shorter dictionary words that tile `word` left to right (基层党组织 → 基层, 党组织)."""
    if len(word) < 3:
        return ()
    candidates = {p for p in search_words(word) if p != word and len(p) >= 2}
    if not candidates:
        return ()
    tiles: list[str] = []
    position = 0
    while position < len(word):
        best = max((p for p in candidates if word.startswith(p, position)), key=len, default=None)
        if best is None:
            return ()
        tiles.append(best)
        position += len(best)
    return tuple(tiles)


_PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”')


def parse_query(text: str, *, any_words: bool = False) -> ParsedQuery:
    """What the user asked for; stop words dropped unless they are all there is."""
    query = ParsedQuery(any_words=any_words)
    text = text[:200]
    rest = text
    for match in _PHRASE.finditer(text):
        phrase = tuple(words(match.group(1) or match.group(2)))
        if len(phrase) > 1:
            query.clauses.append(Phrase(phrase))
        elif phrase:
            query.clauses.append(Term(phrase[0], word_parts(phrase[0])))
        rest = rest.replace(match.group(0), " ")
    plain = words(rest.replace('"', " "))
    meaningful = [w for w in plain if w not in STOP_WORDS] or plain
    seen: set[str] = set()
    for word in meaningful:
        if word not in seen:
            seen.add(word)
            query.clauses.append(Term(word, word_parts(word)))
    query.clauses = query.clauses[:MAX_TERMS]
    return query


def key_words(title: str, body: str, *, count: int = 8) -> list[str]:
    """The words a document is most about, for "related documents": frequent, not common."""
    counter: Counter[str] = Counter()
    for word in words(title):
        if len(word) >= 2 and word not in STOP_WORDS and not word.isdigit():
            counter[word] += 3
    for word in words(body[:5000]):
        if len(word) >= 2 and word not in STOP_WORDS and not word.isdigit():
            counter[word] += 1
    return [word for word, _ in counter.most_common(count)]


# --- SQLite FTS5 --------------------------------------------------------------------------
def _fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts5_match(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression of a parsed query."""
    pieces: list[str] = []
    for clause in query.clauses:
        if isinstance(clause, Phrase):
            pieces.append("{title_words body_words} : " + _fts_string(" ".join(clause.words)))
        elif clause.parts:
            parts = " AND ".join(_fts_string(p) for p in clause.parts)
            pieces.append(f"({_fts_string(clause.word)} OR ({parts}))")
        else:
            pieces.append(_fts_string(clause.word))
    return (" OR " if query.any_words else " AND ").join(pieces)


# --- PostgreSQL -----------------------------------------------------------------------------
def pg_tsquery(query: ParsedQuery) -> tuple[str, list[str]]:
    """A tsquery SQL expression with its parameters (no user text inside the SQL)."""
    pieces: list[str] = []
    params: list[str] = []
    for clause in query.clauses:
        if isinstance(clause, Phrase):
            pieces.append("phraseto_tsquery('simple', %s)")
            params.append(" ".join(clause.words))
        elif clause.parts:
            pieces.append("(plainto_tsquery('simple', %s) || plainto_tsquery('simple', %s))")
            params.extend([clause.word, " ".join(clause.parts)])
        else:
            pieces.append("plainto_tsquery('simple', %s)")
            params.append(clause.word)
    joiner = " || " if query.any_words else " && "
    return "(" + joiner.join(pieces) + ")", params


def pg_candidates_sql(query: ParsedQuery, limit: int) -> tuple[str, list[str | int]]:
    """The `limit` newest matches of `query` (highest document ids) with their `ts_rank_cd`
    scores, best first.

    The newest matches are taken by `ORDER BY document_id DESC LIMIT` in one statement, so
    PostgreSQL's planner chooses from its word statistics: for a common word, walking the
    primary key from the newest row and stopping at the `limit`-th match; for a rare one,
    the GIN index and a sort of its few matches. Only those rows are ranked.
    """
    tsquery, params = pg_tsquery(query)
    sql = (
        f"SELECT document_id, ts_rank_cd('{POSTGRES_WEIGHTS}'::float4[], vector, {tsquery}) "  # noqa: S608
        "AS score FROM (SELECT document_id, vector FROM library_searchentry "
        f"WHERE vector @@ {tsquery} ORDER BY document_id DESC LIMIT %s) AS newest "
        "ORDER BY score DESC, document_id DESC"
    )
    return sql, [*params, *params, limit]


# --- highlighting ---------------------------------------------------------------------------
def highlight(text: str, query_words: list[str], *, length: int = 0) -> str:
    """HTML-escaped `text` (or a window of `length` characters around the first match) with the
    query words in <mark>."""
    if not text:
        return ""
    lowered = text.lower()
    if length and len(text) > length:
        first = min((i for i in (lowered.find(w) for w in query_words if w) if i >= 0), default=0)
        start = max(0, first - length // 4)
        end = start + length
        window_prefix = "…" if start > 0 else ""
        window_suffix = "…" if end < len(text) else ""
        text, lowered = text[start:end], lowered[start:end]
    else:
        window_prefix = window_suffix = ""
    marks = [False] * len(text)
    for word in query_words:
        if not word:
            continue
        start = lowered.find(word)
        while start >= 0:
            for i in range(start, start + len(word)):
                marks[i] = True
            start = lowered.find(word, start + len(word))
    out: list[str] = []
    inside = False
    for char, marked in zip(text, marks, strict=True):
        if marked and not inside:
            out.append("<mark>")
            inside = True
        elif not marked and inside:
            out.append("</mark>")
            inside = False
        out.append(html.escape(char))
    if inside:
        out.append("</mark>")
    return window_prefix + "".join(out) + window_suffix
