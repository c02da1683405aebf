"""Small helpers that render canonical (DuckDB) SQL fragments safely."""

from __future__ import annotations

from datetime import date, datetime

from profiles_pipeline.warehouse.literals import sql_string as lit


def ts_lit(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"CAST({lit(value.strftime('%Y-%m-%d %H:%M:%S.%f'))} AS TIMESTAMP)"
    return f"CAST({lit(value.isoformat())} AS TIMESTAMP)"


def date_lit(value: date) -> str:
    return f"CAST({lit(value.isoformat())} AS DATE)"


def case_by_type(type_col: str, values: dict[str, str], default: str) -> str:
    """`CASE type_col WHEN 't' THEN v ... ELSE default END` (just `default` if no entries)."""
    if not values:
        return default
    whens = " ".join(f"WHEN {lit(t)} THEN {v}" for t, v in sorted(values.items()))
    return f"(CASE {type_col} {whens} ELSE {default} END)"
