"""Ground truth: every identifier value in the landing zone and the person it belongs to.

One row per (id_value, id_type). person_id is `p0000042`-style for real people, or one of
schema.SPECIAL_PERSONS for values that belong to no single person (junk, store kiosks, the
shared support email, household devices). Emails are listed as written in the data and also
lower-cased and trimmed, so a stitcher that normalizes emails still finds its values here."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import IdColumn
from .schema import GROUND_TRUTH_SCHEMA, SPECIAL_CODES
from .strings import int_strings

_CODED = pa.schema([("id_value", pa.string()), ("id_type", pa.string()), ("owner", pa.int64())])


def _distinct(table: pa.Table) -> pa.Table:
    return table.group_by(table.column_names, use_threads=False).aggregate([])


def day_identifiers(identifiers: dict[str, list[IdColumn]]) -> pa.Table:
    """Distinct (id_value, id_type, owner code) seen in one day's tables; nulls dropped."""
    parts = []
    for id_type, columns in identifiers.items():
        for col in columns:
            values = [col.values]
            if id_type == "email":
                values.append(pc.utf8_lower(pc.utf8_trim_whitespace(col.values)))
            for v in values:
                t = pa.table({"id_value": v, "owner": pa.array(col.owner, pa.int64())}).filter(
                    pc.is_valid(v)
                )
                parts.append(_with_type(_distinct(t), id_type))
    return (
        _distinct(pa.concat_tables(parts).select(_CODED.names)) if parts else _CODED.empty_table()
    )


def _with_type(t: pa.Table, id_type: str) -> pa.Table:
    return t.append_column(
        "id_type", pa.array(np.full(t.num_rows, id_type, dtype=object), pa.string())
    )


def compact(coded: list[pa.Table]) -> pa.Table:
    """Merge several days' identifier tables into one, so memory follows distinct identifiers."""
    return _distinct(pa.concat_tables(coded))


def finalize(coded: list[pa.Table], users: int, existing: pa.Table | None = None) -> pa.Table:
    """Merge days (and an existing ground truth), name owners, sort by id_type then id_value."""
    merged = _distinct(pa.concat_tables(coded)) if coded else _CODED.empty_table()
    owner = merged["owner"].to_numpy()
    person = int_strings(np.maximum(owner, 0), "p", max(7, len(str(users - 1))))
    for code, name in SPECIAL_CODES.items():
        person = pc.if_else(pa.array(owner == code), pa.scalar(name), person)
    table = pa.table(
        {"id_value": merged["id_value"], "id_type": merged["id_type"], "person_id": person},
        schema=GROUND_TRUTH_SCHEMA,
    )
    if existing is not None:
        table = _distinct(pa.concat_tables([existing.cast(GROUND_TRUTH_SCHEMA), table]))
    return table.sort_by([("id_type", "ascending"), ("id_value", "ascending")]).select(
        GROUND_TRUTH_SCHEMA.names
    )
