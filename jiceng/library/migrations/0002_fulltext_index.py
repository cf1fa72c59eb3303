"""The full-text index over `library_searchentry`, built for the database in use.

SQLite: an FTS5 table over the pre-segmented columns (unicode61 tokenizer: the words are already
cut by jieba and joined by spaces), an external-content table kept in step by triggers.
PostgreSQL: a generated tsvector column ('simple' configuration, weights A title, B body,
D parts) with a GIN index.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE library_fts USING fts5(title_words, body_words, part_words, "
    "content='library_searchentry', content_rowid='document_id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER library_fts_ai AFTER INSERT ON library_searchentry BEGIN "
    "INSERT INTO library_fts(rowid, title_words, body_words, part_words) "
    "VALUES (new.document_id, new.title_words, new.body_words, new.part_words); END",
    "CREATE TRIGGER library_fts_ad AFTER DELETE ON library_searchentry BEGIN "
    "INSERT INTO library_fts(library_fts, rowid, title_words, body_words, part_words) "
    "VALUES ('delete', old.document_id, old.title_words, old.body_words, old.part_words); END",
    "CREATE TRIGGER library_fts_au AFTER UPDATE ON library_searchentry BEGIN "
    "INSERT INTO library_fts(library_fts, rowid, title_words, body_words, part_words) "
    "VALUES ('delete', old.document_id, old.title_words, old.body_words, old.part_words); "
    "INSERT INTO library_fts(rowid, title_words, body_words, part_words) "
    "VALUES (new.document_id, new.title_words, new.body_words, new.part_words); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS library_fts_au",
    "DROP TRIGGER IF EXISTS library_fts_ad",
    "DROP TRIGGER IF EXISTS library_fts_ai",
    "DROP TABLE IF EXISTS library_fts",
]
POSTGRES_UP = [
    "ALTER TABLE library_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', title_words), 'A') || "
    "setweight(to_tsvector('simple', body_words), 'B') || "
    "setweight(to_tsvector('simple', part_words), 'D')) STORED",
    "CREATE INDEX library_search_vector_idx ON library_searchentry USING GIN (vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS library_search_vector_idx",
    "ALTER TABLE library_searchentry DROP COLUMN IF EXISTS vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("library", "0001_documents_and_search")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
