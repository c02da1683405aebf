"""Words the engines reserve: a table named so (`order`, `group`) breaks SQL that writes it
unquoted. Asked of the embedded engine, DuckDB, whose list covers the common SQL keywords."""

from __future__ import annotations

import functools


@functools.cache
def reserved_words() -> frozenset[str]:
    import duckdb

    rows = duckdb.sql("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()
    return frozenset(r[0].lower() for r in rows)
