"""Every kind of bad value in the contract is quarantined with its file, row number, column and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.drop import validate_drop
from tests.unit.drop.builders import account, billing, exchange, model_release, session, write_drop

FORMATS = ["csv", "csv.gz", "parquet"]

MAKERS = {
    "accounts": lambda i, **o: account(i, **o),
    "billing": lambda i, **o: billing(i, 1, **o),
    "sessions": lambda i, **o: session(i, 1, **o),
    "exchanges": lambda i, **o: exchange(i, 1, 1, **o),
    "model_releases": lambda i, **o: model_release(model=f"model-{i}", **o),
}

# (file, column, bad value, expected reason (prefix))
BAD_VALUES: list[tuple[str, str, str, str]] = [
    ("accounts", "account_id", "acct 2", "bad id charset"),
    ("accounts", "account_id", "acct/2", "bad id charset"),
    ("accounts", "account_id", "a" * 65, "id longer than 64 characters"),
    ("accounts", "account_id", "", "missing required value"),
    ("accounts", "created_at", "", "missing required value"),
    ("accounts", "created_at", "2026-09-01 10:00:00Z", "bad timestamp"),
    ("accounts", "created_at", "2026-09-01T10:00:00", "bad timestamp"),
    ("accounts", "created_at", "2026-09-01T10:00:00+02:00", "bad timestamp"),
    ("accounts", "created_at", "2026-09-01", "bad timestamp"),
    ("accounts", "created_at", "2026-02-30T10:00:00Z", "bad timestamp"),
    ("accounts", "created_at", "1066-10-14T10:00:00Z", "bad timestamp"),
    ("accounts", "email", "no-at-sign.example.com", "bad email"),
    ("accounts", "email", "user@", "bad email"),
    ("accounts", "email", "@example.com", "bad email"),
    ("accounts", "email", "u" * 250 + "@x.com", "longer than 254 characters"),
    ("accounts", "org_id", "org#1", "bad id charset"),
    ("accounts", "country", "de", "bad country code"),
    ("accounts", "country", "DEU", "bad country code"),
    ("accounts", "signup_ip", "300.1.2.3", "bad IP address"),
    ("accounts", "signup_ip", "fe80::1%eth0", "bad IP address"),
    ("accounts", "signup_ip", "localhost", "bad IP address"),
    ("accounts", "signup_fingerprint", "abc123", "bad hex string (expected 8-64 hex characters)"),
    ("accounts", "signup_fingerprint", "zz112233", "bad hex string"),
    (
        "accounts",
        "plan",
        "gold",
        "unknown enum value 'gold' (expected one of free, build, scale, enterprise)",
    ),
    ("accounts", "plan", "Free", "unknown enum value 'Free'"),
    (
        "accounts",
        "status",
        "deleted",
        "unknown enum value 'deleted' (expected one of active, suspended, banned)",
    ),
    ("accounts", "status_changed_at", "yesterday", "bad timestamp"),
    ("billing", "billing_id", "bill 2", "bad id charset"),
    ("billing", "account_id", "acct_99", "unknown account_id"),
    ("billing", "method", "cash", "unknown enum value 'cash'"),
    ("billing", "payment_fingerprint", "", "missing required value"),
    ("billing", "card_bin", "12345", "bad digits (expected 6-8 digits)"),
    ("billing", "card_bin", "4242x2", "bad digits"),
    ("billing", "issuer_country", "U1", "bad country code"),
    ("billing", "billing_country", "us", "bad country code"),
    ("billing", "billing_postal", "9" * 17, "longer than 16 characters"),
    ("billing", "billing_name_hash", "not-hex", "bad hex string"),
    ("billing", "billing_address_hash", "a" * 129, "bad hex string"),
    ("billing", "spend_usd", "-0.01", "negative value"),
    ("billing", "spend_usd", "12,50", "bad decimal"),
    ("billing", "spend_usd", "nan", "bad decimal"),
    ("billing", "spend_usd", "", "missing required value"),
    ("sessions", "session_id", "sess'2", "bad id charset"),
    ("sessions", "account_id", "acct_99", "unknown account_id"),
    ("sessions", "api_key_id", "key{2}", "bad id charset"),
    ("sessions", "started_at", "2026-09-02T08:00:00-05:00", "bad timestamp"),
    ("sessions", "ended_at", "2026-09-02T07:59:59Z", "ended_at before started_at"),
    ("sessions", "ip", "", "missing required value"),
    ("sessions", "ip", "1.2.3", "bad IP address"),
    ("sessions", "asn", "-5", "negative value"),
    ("sessions", "asn", "12a", "bad integer"),
    ("sessions", "asn", "0x10", "bad integer"),
    ("sessions", "asn_type", "cloud", "unknown enum value 'cloud'"),
    ("sessions", "user_agent", "u" * 513, "longer than 512 characters"),
    ("sessions", "client_fingerprint", "g00d", "bad hex string"),
    ("exchanges", "exchange_id", "ex`2", "bad id charset"),
    ("exchanges", "session_id", "sess_99", "unknown session_id"),
    ("exchanges", "account_id", "acct_99", "unknown account_id"),
    ("exchanges", "ts", "1757000000", "bad timestamp"),
    ("exchanges", "model", "", "missing required value"),
    ("exchanges", "capability", "math", "unknown enum value 'math'"),
    ("exchanges", "prompt_fingerprint", "0123456789abcde", "bad hex string (expected 16 hex characters)"),
    ("exchanges", "prompt_fingerprint", "0123456789abcdef0", "bad hex string (expected 16 hex characters)"),
    ("exchanges", "input_tokens", "-1", "negative value"),
    ("exchanges", "output_tokens", "1.5", "bad integer"),
    ("exchanges", "output_tokens", "", "missing required value"),
    ("exchanges", "reasoning_elicited", "yes", "bad boolean"),
    ("model_releases", "released_at", "soon", "bad timestamp"),
]


def _drop_with_bad_row(root: Path, fmt: str, file: str, column: str, value: str) -> Path:
    """Three rows in `file`, the second with the bad value; other files reference only valid rows."""
    rows: dict[str, Any] = {
        "accounts": [account(1), account(2), account(3)],
        "billing_rows": [billing(1, 1)],
        "sessions": [session(1, 1)],
        "exchanges": [exchange(1, 1, 1)],
        "model_releases": [model_release()],
    }
    make = MAKERS[file]
    key = "billing_rows" if file == "billing" else file
    rows[key] = [make(1), make(2, **{column: value}), make(3)]
    return write_drop(root, fmt, **rows)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("file", "column", "value", "reason"), BAD_VALUES, ids=lambda v: str(v)[:30])
def test_bad_value_is_quarantined_with_row_column_and_reason(
    tmp_path: Path, fmt: str, file: str, column: str, value: str, reason: str
) -> None:
    drop = _drop_with_bad_row(tmp_path / "drop", fmt, file, column, value)

    report = validate_drop(drop)

    assert report.rejected is None
    fr = report.files[file]
    assert (fr.read, fr.valid, fr.quarantined) == (3, 2, 1)
    [issue] = fr.issues
    suffix = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}[fmt]
    assert (issue.file, issue.row, issue.column) == (f"{file}{suffix}", 2, column)
    assert issue.reason.startswith(reason), issue.reason
    assert issue.value == (value if len(value) <= 200 else value[:200] + "…")
    # Nothing else in the drop is affected.
    assert all(f.quarantined == 0 for name, f in report.files.items() if name != file)
    assert not report.ok()


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [
        ("accounts", "created_at", "2026-09-01T10:00:00.123Z"),
        ("accounts", "created_at", "2026-09-01T10:00:00.123456789+00:00"),
        ("accounts", "created_at", "2026-09-01T10:00:00+00:00"),
        ("accounts", "signup_ip", "2001:DB8::1"),
        ("accounts", "signup_ip", "::ffff:192.0.2.1"),
        ("accounts", "signup_fingerprint", "ABCDEF0123"),
        ("accounts", "org_id", "Org.1:team_a-b"),
        ("accounts", "account_id", "a" * 64),
        ("accounts", "email", "first.last+tag@sub.example.co.uk"),
        ("billing", "card_bin", "12345678"),
        ("billing", "spend_usd", "0"),
        ("billing", "spend_usd", "1e3"),
        ("billing", "spend_usd", ".5"),
        ("billing", "billing_postal", "SW1A 1AA"),
        ("sessions", "ended_at", "2026-09-02T08:00:00Z"),  # equal to started_at
        ("sessions", "asn", "0"),
        ("sessions", "asn", ""),
        ("sessions", "asn_type", ""),
        ("exchanges", "reasoning_elicited", "TRUE"),
        ("exchanges", "reasoning_elicited", "False"),
        ("exchanges", "reasoning_elicited", "0"),
        ("exchanges", "reasoning_elicited", "1"),
        ("exchanges", "input_tokens", "0"),
        ("exchanges", "prompt_fingerprint", "FFFFFFFFFFFFFFFF"),
    ],
)
def test_edge_values_that_are_valid(tmp_path: Path, file: str, column: str, value: str) -> None:
    drop = _drop_with_bad_row(tmp_path / "drop", "csv", file, column, value)

    report = validate_drop(drop)

    assert report.ok(), report.files[file].issues


def test_first_failing_column_in_contract_order_is_the_reason(tmp_path: Path) -> None:
    bad = account(2, account_id="bad id", plan="gold", created_at="nope")
    drop = write_drop(
        tmp_path, accounts=[account(1), bad], sessions=[session(1, 1)], exchanges=[exchange(1, 1, 1)]
    )

    [issue] = validate_drop(drop).files["accounts"].issues

    assert (issue.row, issue.column, issue.reason) == (2, "account_id", issue.reason)
    assert issue.reason.startswith("bad id charset")


def test_reference_checked_only_after_the_row_values(tmp_path: Path) -> None:
    # An unknown account on a row whose timestamp is also bad is reported for the timestamp.
    drop = write_drop(tmp_path, sessions=[session(1, 1), session(2, 99, started_at="x")])

    [issue] = validate_drop(drop).files["sessions"].issues

    assert (issue.row, issue.column) == (2, "started_at")


def test_quarantined_account_makes_its_references_unknown(tmp_path: Path) -> None:
    drop = write_drop(
        tmp_path,
        accounts=[account(1), account(2, plan="gold")],
        billing_rows=[billing(1, 2)],
        sessions=[session(1, 1), session(2, 2)],
        exchanges=[exchange(1, 1, 1), exchange(2, 2, 2)],
    )

    report = validate_drop(drop)

    assert [(i.row, i.column, i.reason) for i in report.files["billing"].issues] == [
        (1, "account_id", "unknown account_id")
    ]
    assert [(i.row, i.column) for i in report.files["sessions"].issues] == [(2, "account_id")]
    # Session sess_2 was quarantined, so exchange 2 names an unknown session (checked before the account).
    assert [(i.row, i.column, i.reason) for i in report.files["exchanges"].issues] == [
        (2, "session_id", "unknown session_id")
    ]
