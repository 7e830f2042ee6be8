"""Vectorised checks of one column by kind: Arrow compute and RE2 regexes, unique-value work for IPs.

`check_column` turns a raw Arrow column (text from CSV, natural types from Parquet) into typed, normalised
values plus the failures in priority order; no Python loop runs per row.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.drop.contract import ColumnSpec, Kind

TIMESTAMP_TYPE = pa.timestamp("ns", tz="UTC")

ID_RE = r"^[A-Za-z0-9_.:\-]{1,64}$"
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|\+00:00)$"
EMAIL_RE = r"(?s)^.+@[^@\s]+$"
INT_RE = r"^[+-]?[0-9]{1,18}$"
DECIMAL_RE = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$"
COUNTRY_RE = r"^[A-Z]{2}$"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_CANONICAL_RE = rf"^{_OCTET}(\.{_OCTET}){{3}}$"

MISSING = "missing required value"
BAD_TIMESTAMP = "bad timestamp (expected ISO 8601 in UTC, e.g. 2026-09-14T08:21:05Z)"
BAD_DATE = "bad timestamp (no such date or time, or out of range)"


class UnreadableColumn(Exception):
    """A column whose Arrow type cannot be read as the contract's kind (the file is rejected)."""


@dataclass
class Checked:
    """Typed values of one column and its failures: (bad-row mask, reason) pairs in priority order.

    A reason may contain `{value}`, replaced by the repr of the row's raw value in the issue.
    """

    values: pa.Array
    failures: list[tuple[np.ndarray, str]] = field(default_factory=list)


def mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy bool array, nulls as False."""
    filled = pc.fill_null(values, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _no_match(text: pa.Array, pattern: str) -> np.ndarray:
    """Rows holding a value that does not fully match `pattern` (nulls are not flagged)."""
    return mask(pc.invert(pc.match_substring_regex(text, pattern)))


def _null_where(values: pa.Array, bad: np.ndarray) -> pa.Array:
    if not bad.any():
        return values
    return pc.if_else(pa.array(bad), pa.nulls(len(values), values.type), values)


def as_text(values: pa.Array) -> pa.Array:
    """Any scalar Arrow column as UTF-8 text with empty strings as nulls (CSV's empty field rule)."""
    t = values.type
    if pa.types.is_dictionary(t):
        values = values.dictionary_decode()
        t = values.type
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.string())
    if pa.types.is_string(t):
        text = values
    elif pa.types.is_large_string(t) or pa.types.is_string_view(t):
        text = values.cast(pa.string())
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        try:
            text = values.cast(pa.string())
        except pa.ArrowInvalid as exc:
            raise UnreadableColumn(f"binary values are not valid UTF-8: {exc}") from exc
    elif pa.types.is_floating(t):
        text = _null_where(values, mask(pc.is_nan(values))).cast(pa.string())  # NaN is pandas' null
    elif pa.types.is_integer(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t):
        text = values.cast(pa.string())
    elif pa.types.is_temporal(t):
        text = values.cast(pa.string())
    else:
        raise UnreadableColumn(f"unsupported type {t}")
    empty = pc.equal(text, "")
    if pc.any(empty).as_py():
        text = pc.if_else(empty, pa.nulls(len(text), text.type), text)
    return text


def present(values: pa.Array) -> np.ndarray:
    """Rows holding a value (not null; NaN counts as null in float columns, as pandas writes it)."""
    valid = mask(pc.is_valid(values))
    if pa.types.is_floating(values.type):
        valid &= ~mask(pc.is_nan(values))
    return valid


def _is_text(values: pa.Array) -> bool:
    return pa.types.is_string(values.type)


def _text(values: pa.Array) -> pa.Array:
    """Text of a column `check_column` has already normalised (string input), else `as_text`."""
    return values if _is_text(values) else as_text(values)


def _is_typed(values: pa.Array) -> bool:
    t = values.type
    return (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or pa.types.is_temporal(t)
    )


def check_column(col: ColumnSpec, raw: pa.Array) -> Checked:
    """Check and type one column; the first failure in the list that flags a row is that row's reason."""
    if not _is_typed(raw):
        raw = as_text(raw)  # once: empty strings become nulls, dictionaries and binaries become text
    has_value = present(raw)
    checked = _CHECKERS[col.kind](col, raw)
    if col.required:
        checked.failures.insert(0, (~has_value, MISSING))
    return checked


def _check_id(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    bad = _no_match(text, ID_RE)
    if not bad.any():
        return Checked(text)
    long = mask(pc.greater(pc.utf8_length(text), col.max_len or 64))
    return Checked(
        text,
        [
            (bad & long, f"id longer than {col.max_len} characters"),
            (bad, "bad id charset (allowed: A-Z a-z 0-9 _ . : -)"),
        ],
    )


def _too_long(col: ColumnSpec, text: pa.Array) -> list[tuple[np.ndarray, str]]:
    if col.max_len is None:
        return []
    return [(mask(pc.greater(pc.utf8_length(text), col.max_len)), f"longer than {col.max_len} characters")]


def _check_string(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    return Checked(text, _too_long(col, text))


def _check_email(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    return Checked(
        text, [*_too_long(col, text), (_no_match(text, EMAIL_RE), "bad email (expected local-part@domain)")]
    )


def _check_enum(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    bad = mask(pc.invert(pc.is_in(text, value_set=pa.array(col.choices, pa.string())))) & present(text)
    return Checked(text, [(bad, f"unknown enum value {{value}} (expected one of {', '.join(col.choices)})")])


def _check_country(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    return Checked(
        text, [(_no_match(text, COUNTRY_RE), "bad country code (expected ISO 3166-1 alpha-2, e.g. DE)")]
    )


def _check_digits(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    lo, hi = col.min_len or 1, col.max_len or 64
    return Checked(
        text, [(_no_match(text, f"^[0-9]{{{lo},{hi}}}$"), f"bad digits (expected {lo}-{hi} digits)")]
    )


def _check_hex(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    lo, hi = col.min_len or 1, col.max_len or 128
    expected = f"{lo}" if lo == hi else f"{lo}-{hi}"
    lower = _no_match(text, f"^[0-9a-f]{{{lo},{hi}}}$")
    if not lower.any():  # the common case: already lower-case
        return Checked(text)
    bad = lower & _no_match(text, f"^[0-9A-Fa-f]{{{lo},{hi}}}$")
    return Checked(pc.ascii_lower(text), [(bad, f"bad hex string (expected {expected} hex characters)")])


def _canonical_ip(value: str) -> str | None:
    if "%" in value:  # zone ids mean nothing outside the host that wrote them
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _check_ip(col: ColumnSpec, raw: pa.Array) -> Checked:
    text = _text(raw)
    encoded = text.dictionary_encode()
    uniques = encoded.dictionary
    canonical: list[str | None] = uniques.to_pylist()
    # Dotted-quad IPv4 in canonical form (the common case) needs no Python parsing.
    for i in np.flatnonzero(_no_match(uniques, IPV4_CANONICAL_RE)):
        value = canonical[i]
        canonical[i] = None if value is None else _canonical_ip(value)
    values = pa.array(canonical, pa.string()).take(encoded.indices)
    bad = present(text) & ~mask(pc.is_valid(values))
    return Checked(values, [(bad, "bad IP address")])


def _check_timestamp(col: ColumnSpec, raw: pa.Array) -> Checked:
    if pa.types.is_timestamp(raw.type):
        return _typed_timestamp(raw)
    text = _text(raw)
    bad_format = _no_match(text, TIMESTAMP_RE)
    gated = _null_where(text, bad_format)
    try:
        values = pc.cast(gated, TIMESTAMP_TYPE)
        bad_date = np.zeros(len(text), dtype=bool)
    except pa.ArrowInvalid:
        bad_date = _impossible_timestamps(gated)
        values = pc.cast(_null_where(gated, bad_date), TIMESTAMP_TYPE)
    return Checked(values, [(bad_format, BAD_TIMESTAMP), (bad_date, BAD_DATE)])


def _impossible_timestamps(text: pa.Array) -> np.ndarray:
    """Rows whose well-formed timestamp Arrow cannot turn into an instant (no such date, out of range).

    The rare path after a whole-column cast failed: one cast per distinct value.
    """
    encoded = text.dictionary_encode()
    bad_unique = np.zeros(len(encoded.dictionary), dtype=bool)
    for i, value in enumerate(encoded.dictionary):
        try:
            value.cast(TIMESTAMP_TYPE)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            bad_unique[i] = True
    indices = encoded.indices
    result = np.zeros(len(text), dtype=bool)
    valid = mask(pc.is_valid(indices))
    result[valid] = bad_unique[indices.to_numpy(zero_copy_only=False)[valid].astype(np.int64)]
    return result


def _typed_timestamp(raw: pa.Array) -> Checked:
    """Parquet timestamps: UTC or naive (read as UTC); other zones are converted (an instant is an instant)."""
    unit = raw.type.unit
    if raw.type.tz is None:
        raw = raw.cast(pa.timestamp(unit, tz="UTC"))
    try:
        return Checked(pc.cast(raw, TIMESTAMP_TYPE))
    except pa.ArrowInvalid:
        per_ns = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
        limit = (2**63 - 1) // per_ns
        ints = raw.cast(pa.int64())
        out = mask(pc.greater(pc.abs(ints), limit))
        return Checked(pc.cast(_null_where(raw, out), TIMESTAMP_TYPE), [(out, BAD_DATE)])


def _min_value(col: ColumnSpec, values: pa.Array) -> list[tuple[np.ndarray, str]]:
    if col.min_value is None:
        return []
    reason = "negative value" if col.min_value == 0 else f"below the minimum {col.min_value:g}"
    return [(mask(pc.less(values, col.min_value)), reason)]


def _check_int(col: ColumnSpec, raw: pa.Array) -> Checked:
    t = raw.type
    if pa.types.is_integer(t):
        try:
            values = raw.cast(pa.int64())
            failures: list[tuple[np.ndarray, str]] = []
        except pa.ArrowInvalid:
            big = mask(pc.greater(raw, 2**63 - 1))
            values = _null_where(raw, big).cast(pa.int64())
            failures = [(big, "integer out of range")]
    elif pa.types.is_floating(t):
        finite = mask(pc.is_finite(raw))
        whole = mask(pc.equal(pc.floor(raw), raw)) & finite & mask(pc.less(pc.abs(raw), 2.0**63))
        bad = present(raw) & ~whole
        values = _null_where(pc.fill_null(raw, 0.0), bad | ~present(raw)).cast(pa.int64(), safe=False)
        values = _null_where(values, ~present(raw))
        failures = [(bad, "bad integer")]
    else:
        text = _text(raw)
        try:  # the common case: Arrow parses every value ("-"? digits, or a 0x hex prefix: refused below)
            if pc.any(pc.match_substring(text, "x", ignore_case=True)).as_py():
                raise pa.ArrowInvalid("hexadecimal integer")
            values = text.cast(pa.int64())
            failures = []
        except pa.ArrowInvalid:
            bad = _no_match(text, INT_RE)
            gated = _null_where(text, bad)
            if pc.any(pc.starts_with(gated, "+")).as_py():
                gated = pc.replace_substring_regex(gated, r"^\+", "")
            values = gated.cast(pa.int64())
            failures = [(bad, "bad integer")]
    return Checked(values, [*failures, *_min_value(col, values)])


def _check_decimal(col: ColumnSpec, raw: pa.Array) -> Checked:
    t = raw.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        values = raw.cast(pa.float64())
        failures: list[tuple[np.ndarray, str]] = []
        if pa.types.is_floating(t):
            inf = mask(pc.is_inf(values))
            values = _null_where(values, mask(pc.is_nan(values)) | inf)
            failures = [(inf, "bad decimal")]
    else:
        text = _text(raw)
        bad = _no_match(text, DECIMAL_RE)
        values = _null_where(text, bad).cast(pa.float64())
        inf = mask(pc.is_inf(values))
        values = _null_where(values, inf)
        failures = [(bad | inf, "bad decimal")]
    return Checked(values, [*failures, *_min_value(col, values)])


_TRUE = pa.array(["true", "1"])
_FALSE = pa.array(["false", "0"])


def _check_bool(col: ColumnSpec, raw: pa.Array) -> Checked:
    t = raw.type
    if pa.types.is_boolean(t):
        return Checked(raw)
    if pa.types.is_integer(t):
        truthy, falsy = mask(pc.equal(raw, 1)), mask(pc.equal(raw, 0))
        has = present(raw)
    else:
        text = _text(raw)
        truthy, falsy = mask(pc.is_in(text, value_set=_TRUE)), mask(pc.is_in(text, value_set=_FALSE))
        if (truthy | falsy).sum() < len(text) - text.null_count:  # mixed case such as "True": rare
            text = pc.ascii_lower(text)
            truthy, falsy = mask(pc.is_in(text, value_set=_TRUE)), mask(pc.is_in(text, value_set=_FALSE))
        has = present(text)
    bad = has & ~truthy & ~falsy
    values = _null_where(pa.array(truthy), ~has | bad)
    return Checked(values, [(bad, "bad boolean (expected true, false, 1 or 0)")])


_CHECKERS = {
    Kind.ID: _check_id,
    Kind.TIMESTAMP: _check_timestamp,
    Kind.STRING: _check_string,
    Kind.EMAIL: _check_email,
    Kind.ENUM: _check_enum,
    Kind.INT: _check_int,
    Kind.DECIMAL: _check_decimal,
    Kind.BOOL: _check_bool,
    Kind.HEX: _check_hex,
    Kind.IP: _check_ip,
    Kind.COUNTRY: _check_country,
    Kind.DIGITS: _check_digits,
}
