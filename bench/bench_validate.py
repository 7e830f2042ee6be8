"""Measure drop validation throughput on synthetic exchanges: `python bench/bench_validate.py [N] [--format F]`.

Writes a temporary drop (accounts, sessions, N exchanges) with numpy and pyarrow, validates it with
`graph.drop.validate_drop`, and prints rows/s for the exchanges file (reading + validation), plus the time
spent reading alone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.drop.contract import CAPABILITIES  # noqa: E402
from graph.drop.reader import iter_chunks  # noqa: E402
from graph.drop.validate import validate_drop  # noqa: E402


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, numbers.astype("U12")))


def _hex16(values: np.ndarray) -> pa.Array:
    raw = values.astype(">u8").tobytes().hex().encode()
    return pa.array(np.frombuffer(raw, dtype="S16").astype("U16"))


def _iso(seconds: np.ndarray) -> pa.Array:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return pa.array(np.char.add(text, "Z"))


def _write(table: pa.Table, path_stem: Path, fmt: str) -> Path:
    if fmt == "parquet":
        path = path_stem.with_name(path_stem.name + ".parquet")
        pq.write_table(table, path)
        return path
    path = path_stem.with_name(path_stem.name + (".csv.gz" if fmt == "csv.gz" else ".csv"))
    sink = pa.output_stream(str(path), compression="gzip" if fmt == "csv.gz" else None)
    with sink:
        pacsv.write_csv(table, sink)
    return path


def make_drop(root: Path, n: int, fmt: str, seed: int = 7) -> None:
    """A drop whose N exchanges all reference its accounts and sessions."""
    rng = np.random.default_rng(seed)
    n_accounts = max(1, n // 1000)
    n_sessions = max(1, n // 50)
    start = np.datetime64("2026-09-01T00:00:00", "s").astype(np.int64)
    accounts = pa.table(
        {
            "account_id": _ids("acct_", np.arange(n_accounts)),
            "created_at": _iso(start + rng.integers(0, 86_400 * 30, n_accounts)),
            "email": _ids("user", np.arange(n_accounts)).cast(pa.string()),
            "plan": pa.array(rng.choice(["free", "build", "scale"], n_accounts)),
            "status": pa.array(rng.choice(["active", "banned"], n_accounts)),
        }
    )
    accounts = accounts.set_column(
        2, "email", pa.array(np.char.add(accounts["email"].to_numpy().astype("U"), "@example.com"))
    )
    session_account = rng.integers(0, n_accounts, n_sessions)
    session_start = start + rng.integers(0, 86_400 * 30, n_sessions)
    sessions = pa.table(
        {
            "session_id": _ids("sess_", np.arange(n_sessions)),
            "account_id": _ids("acct_", session_account),
            "api_key_id": _ids("key_", session_account),
            "started_at": _iso(session_start),
            "ended_at": _iso(session_start + rng.integers(0, 7200, n_sessions)),
            "ip": pa.array(
                np.char.add("10.0.", (np.arange(n_sessions) % 250).astype("U3")).astype(object) + ".7"
            ),
        }
    )
    exchange_session = rng.integers(0, n_sessions, n)
    exchanges = pa.table(
        {
            "exchange_id": _ids("ex_", np.arange(n)),
            "session_id": _ids("sess_", exchange_session),
            "account_id": _ids("acct_", session_account[exchange_session]),
            "ts": _iso(session_start[exchange_session] + rng.integers(0, 7200, n)),
            "model": pa.array(rng.choice(["atlas-3", "atlas-3-mini", "atlas-4"], n)),
            "capability": pa.array(rng.choice(np.array(CAPABILITIES), n)),
            "prompt_fingerprint": _hex16(rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)),
            "input_tokens": pa.array(rng.integers(0, 20_000, n)),
            "output_tokens": pa.array(rng.integers(0, 20_000, n)),
            "reasoning_elicited": pa.array(np.where(rng.random(n) < 0.3, "true", "false")),
        }
    )
    _write(accounts, root / "accounts", "csv")
    _write(pa.table({"billing_id": pa.array([], pa.string()), "account_id": pa.array([], pa.string()),
                     "created_at": pa.array([], pa.string()), "method": pa.array([], pa.string()),
                     "payment_fingerprint": pa.array([], pa.string()), "spend_usd": pa.array([], pa.string())}),
           root / "billing", "csv")  # fmt: skip
    _write(sessions, root / "sessions", "csv")
    _write(exchanges, root / "exchanges", fmt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "rows", nargs="?", type=int, default=2_000_000, help="exchange rows (default 2,000,000)"
    )
    parser.add_argument("--format", choices=["csv", "csv.gz", "parquet"], default="csv")
    parser.add_argument("--chunk-rows", type=int, default=200_000)
    parser.add_argument(
        "--dir", type=Path, help="write (or reuse, if it holds a drop) this directory and keep it"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp)
        t0 = time.perf_counter()
        if not list(root.glob("exchanges.*")):
            root.mkdir(parents=True, exist_ok=True)
            make_drop(root, args.rows, args.format)
        exchanges = next(root.glob("exchanges.*"))
        print(f"drop ready in {time.perf_counter() - t0:.1f} s "
              f"({exchanges.name}, {exchanges.stat().st_size / 1e6:,.0f} MB)")  # fmt: skip
        t0, c0 = time.perf_counter(), time.process_time()
        read = sum(len(c) for c in iter_chunks(exchanges, args.chunk_rows))
        read_s, read_cpu = time.perf_counter() - t0, time.process_time() - c0
        c0 = time.process_time()
        report = validate_drop(root, chunk_rows=args.chunk_rows)
        drop_cpu = time.process_time() - c0
        if report.rejected is not None:
            raise SystemExit(f"rejected: {report.rejected}")
        for name, f in report.files.items():
            print(f"{name:>14}: {f.read:>11,} rows, {f.valid:>11,} valid, {f.quarantined:,} quarantined, "
                  f"{f.seconds:6.2f} s, {f.read / max(f.seconds, 1e-9):>12,.0f} rows/s")  # fmt: skip
        ex = report.files["exchanges"]
        total = sum(f.read for f in report.files.values())
        print(
            f"exchanges read only:        {read / read_s:>12,.0f} rows/s wall, {read / read_cpu:>12,.0f} rows/CPU-s"
        )
        print(f"exchanges read + validate:  {ex.read / ex.seconds:>12,.0f} rows/s wall")
        print(f"whole drop read + validate: {total / drop_cpu:>12,.0f} rows/CPU-s ({drop_cpu:.2f} CPU-s)")


if __name__ == "__main__":
    main()
