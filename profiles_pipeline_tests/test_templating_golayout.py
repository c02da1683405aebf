"""Go reference-time layouts; expected strings are what Go's time.Format prints."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from profiles_pipeline.templating import go_format

T = datetime(2024, 3, 5, 14, 7, 9, 123456)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02 15:04:05", "2024-03-05 14:07:09"),
        ("2006-01-02", "2024-03-05"),
        ("2006-01-02T15:04:05.000", "2024-03-05T14:07:09.123"),
        ("15:04:05.000000", "14:07:09.123456"),
        ("15:04:05.999", "14:07:09.123"),
        ("Jan 2, 2006 at 3:04pm (MST)", "Mar 5, 2024 at 2:07pm (UTC)"),
        ("Monday, 02-Jan-06 03:04:05 PM", "Tuesday, 05-Mar-24 02:07:09 PM"),
        ("Mon January _2", "Tue March  5"),
        ("20060102", "20240305"),
        ("1/2/06", "3/5/24"),
        ("002", "065"),
        ("Monkey 2006", "Monkey 2024"),
    ],
)
def test_layouts(layout: str, expected: str) -> None:
    assert go_format(T, layout) == expected


def test_trailing_nines_trim_zeros() -> None:
    assert go_format(datetime(2024, 1, 1, 0, 0, 0, 500000), "05.999") == "00.5"
    assert go_format(datetime(2024, 1, 1), "05.999") == "00"


def test_zones() -> None:
    aware = T.replace(tzinfo=timezone(timedelta(hours=-7, minutes=-30)))
    assert go_format(aware, "2006-01-02T15:04:05-07:00") == "2024-03-05T14:07:09-07:30"
    assert go_format(aware, "-0700") == "-0730"
    utc = T.replace(tzinfo=UTC)
    assert go_format(utc, "Z07:00") == "Z"
    assert go_format(T, "-07:00") == "+00:00"
