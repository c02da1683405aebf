"""The landing-zone contract (team brief): table names, column types, identifier kinds.

Kept in one place so the generator, its tests and anything reading the landing zone agree on
exactly the same columns."""

from __future__ import annotations

import pyarrow as pa

GENERATOR_VERSION = "1"

TABLES: tuple[str, ...] = ("identifies", "tracks", "pages", "order_completed")

COMMON_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("message_id", pa.string()),
    ("anonymous_id", pa.string()),
    ("user_id", pa.string()),
    ("timestamp", pa.timestamp("us")),
    ("received_at", pa.timestamp("us")),
    ("context_session_id", pa.int64()),
    ("context_ip", pa.string()),
    ("context_user_agent", pa.string()),
    ("context_campaign_name", pa.string()),
    ("context_campaign_source", pa.string()),
    ("context_campaign_medium", pa.string()),
    ("context_traits_email", pa.string()),
    ("context_device_type", pa.string()),
]

EXTRA_COLUMNS: dict[str, list[tuple[str, pa.DataType]]] = {
    "identifies": [
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("state", pa.string()),
        ("address_country", pa.string()),
        ("currency", pa.string()),
    ],
    "tracks": [("event", pa.string()), ("event_text", pa.string())],
    "pages": [
        ("name", pa.string()),
        ("path", pa.string()),
        ("url", pa.string()),
        ("referrer", pa.string()),
        ("title", pa.string()),
    ],
    "order_completed": [
        ("order_id", pa.string()),
        ("revenue", pa.float64()),
        ("currency", pa.string()),
        ("products_count", pa.int32()),
        ("event", pa.string()),
    ],
}

SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema(COMMON_COLUMNS + EXTRA_COLUMNS[table]) for table in TABLES
}

GROUND_TRUTH_SCHEMA = pa.schema(
    [("id_value", pa.string()), ("id_type", pa.string()), ("person_id", pa.string())]
)

# Values that real event streams carry where an identifier should be. Every one of them
# appears in anonymous_id, user_id and the email columns on a small fraction of rows.
JUNK_VALUES: tuple[str, ...] = ("", "unknown", "NaN", "test@company.com", "null")

# Ground-truth person ids that are not people. An identifier mapped to one of these is shared
# by many people (or by none), so a perfect stitcher must not use it to merge anyone.
JUNK_PERSON = "__junk__"
KIOSK_PERSON = "__kiosk__"
SUPPORT_PERSON = "__support__"
HOUSEHOLD_PERSON = "__household__"
SPECIAL_PERSONS: tuple[str, ...] = (JUNK_PERSON, KIOSK_PERSON, SUPPORT_PERSON, HOUSEHOLD_PERSON)

# Internal integer codes for the specials while building (negative, so person indexes stay >= 0).
SPECIAL_CODES: dict[int, str] = {
    -1: JUNK_PERSON,
    -2: KIOSK_PERSON,
    -3: SUPPORT_PERSON,
    -4: HOUSEHOLD_PERSON,
}
JUNK_CODE, KIOSK_CODE, SUPPORT_CODE, HOUSEHOLD_CODE = -1, -2, -3, -4


def is_special_person(person_id: str) -> bool:
    """True for ground-truth person ids that mark shared or junk identifiers, not people."""
    return person_id.startswith("__") and person_id.endswith("__")
