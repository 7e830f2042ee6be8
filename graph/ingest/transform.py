"""Small column transforms shared by the ingest stages: email domains, subnets, epoch milliseconds, the last row per
key, and record hashes. Exchange aggregation is `aggregate.py`, session rows and account facts `facts.py`.
Pure Arrow/numpy; nothing here touches Neo4j.
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from graph.drop.contract import CAPABILITIES

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "yahoo.co.jp", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
        "protonmail.com", "pm.me", "gmx.de", "gmx.com", "gmx.net", "web.de", "mail.ru", "yandex.ru",
        "yandex.com", "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net", "zoho.com",
        "tutanota.com", "fastmail.com", "mail.com", "inbox.ru", "bk.ru", "list.ru", "rambler.ru", "hey.com",
    }
)  # fmt: skip

N_CAPS = len(CAPABILITIES)
MS = 1000


def epoch_ms(values: pd.Series) -> np.ndarray:
    """datetime64[ns, UTC] values as int64 epoch milliseconds (NaT becomes the int64 minimum)."""
    return (
        values.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")).astype(np.int64) // 1_000_000
    )


def email_domains(emails: pa.Array) -> pa.Array:
    """The lower-cased domain of each email (text after the last '@'), null when there is none."""
    text = pc.cast(emails, pa.string())
    domain = pc.extract_regex(text, r"@(?P<d>[^@]*)$").field("d")
    domain = pc.utf8_lower(pc.utf8_trim_whitespace(domain))
    return pc.if_else(pc.equal(domain, ""), pa.nulls(len(domain), pa.string()), domain)


def subnet_of(address: str) -> tuple[int, str]:
    """IP version and the /24 (IPv4) or /48 (IPv6) prefix holding `address`."""
    ip = ipaddress.ip_address(address)
    length = 24 if ip.version == 4 else 48
    return ip.version, str(ipaddress.ip_network(f"{ip}/{length}", strict=False))


def keep_last(table: pa.Table, key: str) -> pa.Table:
    """The last row of each key, in first-seen order of the survivors (a later row of a key supersedes it)."""
    if table.num_rows == 0:
        return table
    indexed = table.append_column("_i", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    last = indexed.group_by([key], use_threads=False).aggregate([("_i", "max")])["_i_max"].to_numpy()
    return table.take(pa.array(np.sort(last)))


def ms_column(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A timestamp column as int64 epoch milliseconds (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_timestamp(values.type):
        values = pc.cast(values.cast(pa.timestamp("ns", tz="UTC")), pa.int64())
        return pc.divide(values, 1_000_000)
    return values


def record_hashes(table: pa.Table) -> pa.Array:
    """A content hash per row (16 hex digits of xxh3-64 over every column, nulls distinct from empty text): a
    record re-sent unchanged has the same hash, so its write can be skipped."""
    if table.num_rows == 0:
        return pa.array([], pa.string())
    parts = [pc.fill_null(pc.cast(table.column(name), pa.string()), "\x00") for name in table.column_names]
    joined = pc.binary_join_element_wise(*parts, "\x1f")
    return pa.array([xxhash.xxh3_64_hexdigest(v.encode()) for v in joined.to_pylist()], pa.string())
