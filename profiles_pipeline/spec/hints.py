"""Did-you-mean hints for near names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], what: str = "known") -> str:
    """"did you mean 'x'? known: a, b, c" (the list is cut short when long)."""
    names = sorted(set(candidates))
    guess = close_match(word, names)
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") if names else "none"
    text = f"{what}: {listing}"
    return f"did you mean '{guess}'? {text}" if guess else text
