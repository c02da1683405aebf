"""Vectorized string building: numpy arrays in, Arrow string arrays out, no per-row Python.

UUIDs are written as fixed-width byte matrices handed to Arrow without a copy, which is
what makes tens of millions of unique ids per run cheap."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a bijection on uint64, so distinct keys stay distinct."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x & _MASK64


def fixed_width_strings(matrix: np.ndarray) -> pa.Array:
    """An (n, w) uint8 matrix of ASCII bytes as an Arrow string array of n values."""
    n, width = matrix.shape
    data = pa.py_buffer(np.ascontiguousarray(matrix, dtype=np.uint8).tobytes())
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32).tobytes())
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])


def uuid_strings(keys: np.ndarray, salt: int, rng: np.random.Generator) -> pa.Array:
    """Version-4-shaped UUID strings, unique whenever `keys` are unique.

    64 bits come from a bijective scramble of (key ^ salt); the rest is random. The version
    and variant nibbles sit in bytes the scrambled key does not use, so uniqueness holds."""
    n = len(keys)
    unique = mix64(np.asarray(keys, dtype=np.uint64) ^ mix64(np.array([salt], dtype=np.uint64)))
    key_bytes = unique.astype(">u8").view(np.uint8).reshape(n, 8)
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, [0, 1, 2, 3, 4, 5, 7, 9]] = key_bytes
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[raw >> 4]
    hexed[:, 1::2] = _HEX[raw & 0x0F]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = hexed[:, 0:8]
    out[:, 9:13] = hexed[:, 8:12]
    out[:, 14:18] = hexed[:, 12:16]
    out[:, 19:23] = hexed[:, 16:20]
    out[:, 24:36] = hexed[:, 20:32]
    return fixed_width_strings(out)


def int_strings(values: np.ndarray, prefix: str = "", width: int = 0) -> pa.Array:
    """Integers as strings, zero-padded to `width` and prefixed: 42 -> 'usr_00000042'."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    if width:
        text = pc.utf8_lpad(text, width=width, padding="0")
    if prefix:
        text = pc.binary_join_element_wise(prefix, text, "")
    return text


def ipv4_strings(addresses: np.ndarray) -> pa.Array:
    """uint32 addresses as dotted quads."""
    a = np.asarray(addresses, dtype=np.uint32)
    octets = [
        pc.cast(pa.array((a >> np.uint32(s)) & np.uint32(255)), pa.string()) for s in (24, 16, 8, 0)
    ]
    return pc.binary_join_element_wise(*octets, ".")


def take(pool: pa.Array, index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """pool[index] as an Arrow array; rows where `valid` is False become null."""
    idx = pa.array(np.asarray(index, dtype=np.int64), mask=None if valid is None else ~valid)
    return pool.take(idx)


def scatter(base: pa.Array, mask: np.ndarray, values: pa.Array) -> pa.Array:
    """Replace `base` where `mask` is True with `values` (given in mask order)."""
    if not mask.any():
        return base
    return pc.replace_with_mask(base, pa.array(mask), values.cast(base.type))
