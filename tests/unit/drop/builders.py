"""Tiny drops written to disk in any contract format, with valid default rows to override per test."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph.drop.contract import FILES

Row = Mapping[str, Any]


def account(i: int = 1, **over: Any) -> dict[str, Any]:
    """A valid accounts row."""
    row = {
        "account_id": f"acct_{i}",
        "created_at": "2026-09-01T10:00:00Z",
        "email": f"user{i}@example.com",
        "org_id": "",
        "country": "DE",
        "signup_ip": "203.0.113.7",
        "signup_fingerprint": "0a1b2c3d4e5f6071",
        "plan": "free",
        "status": "active",
        "status_changed_at": "",
    }
    return {**row, **over}


def billing(i: int = 1, account_i: int = 1, **over: Any) -> dict[str, Any]:
    """A valid billing row for account `account_i`."""
    row = {
        "billing_id": f"bill_{i}",
        "account_id": f"acct_{account_i}",
        "created_at": "2026-09-01T10:05:00Z",
        "method": "card",
        "payment_fingerprint": "ffee00112233aabb",
        "card_bin": "424242",
        "issuer_country": "US",
        "billing_country": "DE",
        "billing_postal": "10115",
        "billing_name_hash": "abc123",
        "billing_address_hash": "def456",
        "spend_usd": "12.50",
    }
    return {**row, **over}


def session(i: int = 1, account_i: int = 1, **over: Any) -> dict[str, Any]:
    """A valid sessions row for account `account_i`."""
    row = {
        "session_id": f"sess_{i}",
        "account_id": f"acct_{account_i}",
        "api_key_id": f"key_{account_i}",
        "started_at": "2026-09-02T08:00:00Z",
        "ended_at": "2026-09-02T09:30:00Z",
        "ip": "198.51.100.20",
        "asn": "64500",
        "asn_name": "Example Hosting",
        "asn_type": "hosting",
        "user_agent": "python-sdk/1.2",
        "client_fingerprint": "771c0ffee",
    }
    return {**row, **over}


def exchange(i: int = 1, session_i: int = 1, account_i: int = 1, **over: Any) -> dict[str, Any]:
    """A valid exchanges row in session `session_i` of account `account_i`."""
    row = {
        "exchange_id": f"ex_{i}",
        "session_id": f"sess_{session_i}",
        "account_id": f"acct_{account_i}",
        "ts": "2026-09-02T08:10:00Z",
        "model": "atlas-4",
        "capability": "reasoning",
        "prompt_fingerprint": "0123456789abcdef",
        "input_tokens": "120",
        "output_tokens": "900",
        "reasoning_elicited": "true",
    }
    return {**row, **over}


def model_release(**over: Any) -> dict[str, Any]:
    """A valid model_releases row."""
    return {"model": "atlas-4", "released_at": "2026-09-01T00:00:00Z", **over}


def write_file(
    drop: Path, name: str, rows: Sequence[Row], fmt: str = "csv", columns: Sequence[str] | None = None
) -> Path:
    """Write one drop file; `columns` defaults to the contract's columns (values are text, '' is null)."""
    drop.mkdir(parents=True, exist_ok=True)
    columns = list(columns if columns is not None else FILES[name].column_names)
    if fmt == "parquet":
        data = {c: pa.array([_cell(r.get(c)) or None for r in rows], pa.string()) for c in columns}
        path = drop / f"{name}.parquet"
        pq.write_table(pa.table(data), path)
        return path
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    payload = buffer.getvalue().encode("utf-8")
    if fmt == "csv.gz":
        path = drop / f"{name}.csv.gz"
        path.write_bytes(gzip.compress(payload))
    else:
        path = drop / f"{name}.csv"
        path.write_bytes(payload)
    return path


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def write_drop(
    drop: Path,
    fmt: str = "csv",
    *,
    accounts: Sequence[Row] | None = None,
    billing_rows: Sequence[Row] | None = None,
    sessions: Sequence[Row] | None = None,
    exchanges: Sequence[Row] | None = None,
    model_releases: Sequence[Row] | None = None,
) -> Path:
    """A drop directory: by default 2 accounts, 1 billing row, 2 sessions, 3 exchanges and 1 release, all valid."""
    files = {
        "accounts": [account(1), account(2)] if accounts is None else accounts,
        "billing": [billing(1)] if billing_rows is None else billing_rows,
        "sessions": [session(1, 1), session(2, 2)] if sessions is None else sessions,
        "exchanges": [exchange(1, 1, 1), exchange(2, 1, 1), exchange(3, 2, 2)]
        if exchanges is None
        else exchanges,
        "model_releases": [model_release()] if model_releases is None else model_releases,
    }
    for name, rows in files.items():
        write_file(drop, name, rows, fmt)
    return drop
