"""The generated drop follows spec/telemetry.md: exact headers, value formats and references."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph.scenarios import ScenarioConfig, generate_drop
from tests.unit.scenarios.conftest import Drop

SPEC_COLUMNS = {
    "accounts": ["account_id", "created_at", "email", "org_id", "country", "signup_ip", "signup_fingerprint", "plan",
                 "status", "status_changed_at"],
    "billing": ["billing_id", "account_id", "created_at", "method", "payment_fingerprint", "card_bin", "issuer_country",
                "billing_country", "billing_postal", "billing_name_hash", "billing_address_hash", "spend_usd"],
    "sessions": ["session_id", "account_id", "api_key_id", "started_at", "ended_at", "ip", "asn", "asn_name",
                 "asn_type", "user_agent", "client_fingerprint"],
    "exchanges": ["exchange_id", "session_id", "account_id", "ts", "model", "capability", "prompt_fingerprint",
                  "input_tokens", "output_tokens", "reasoning_elicited"],
    "model_releases": ["model", "released_at"],
    "labels": ["account_id", "campaign", "population"],
}
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
ID = r"^[A-Za-z0-9_.:-]{1,64}$"
HEX = r"^[0-9a-f]{8,64}$"


def _header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return pq.read_schema(path).names
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.readline().rstrip("\n").split(",")


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_headers_match_the_spec_exactly(tmp_path: Path, test_config: ScenarioConfig, fmt: str) -> None:
    summary = generate_drop(tmp_path, test_config, seed=3, fmt=fmt)
    assert set(summary.files) == set(SPEC_COLUMNS)
    for name, columns in SPEC_COLUMNS.items():
        assert _header(tmp_path / f"{name}.{fmt}") == columns, name


def test_parquet_uses_natural_types_with_utc_timestamps(tmp_path: Path, test_config: ScenarioConfig) -> None:
    generate_drop(tmp_path, test_config, seed=3, fmt="parquet")
    sessions = pq.read_schema(tmp_path / "sessions.parquet")
    exchanges = pq.read_schema(tmp_path / "exchanges.parquet")
    assert pa.types.is_timestamp(sessions.field("started_at").type) and sessions.field("started_at").type.tz == "UTC"
    assert exchanges.field("reasoning_elicited").type == pa.bool_()
    assert exchanges.field("input_tokens").type == pa.int64()
    assert sessions.field("asn").type == pa.int64()
    assert pq.read_schema(tmp_path / "billing.parquet").field("spend_usd").type == pa.float64()


def _utc(values: pd.Series) -> pd.Series:
    """Parsed timestamps as naive UTC (comparable as plain numpy datetimes)."""
    return pd.to_datetime(values, utc=True).dt.tz_convert(None)


def _all_match(values: pd.Series, pattern: str) -> bool:
    return bool(values.dropna().str.fullmatch(pattern).all())


def test_value_formats(drop: Drop) -> None:
    accounts, billing, sessions, exchanges = drop["accounts"], drop["billing"], drop["sessions"], drop["exchanges"]
    for frame, column in [(accounts, "created_at"), (accounts, "status_changed_at"), (billing, "created_at"),
                          (sessions, "started_at"), (sessions, "ended_at"), (exchanges, "ts"),
                          (drop["model_releases"], "released_at")]:
        assert _all_match(frame[column], TIMESTAMP), column
    for frame, column in [(accounts, "account_id"), (accounts, "org_id"), (billing, "billing_id"),
                          (sessions, "session_id"), (sessions, "api_key_id"), (exchanges, "exchange_id")]:
        assert _all_match(frame[column], ID), column
    for frame, column in [(accounts, "signup_fingerprint"), (billing, "payment_fingerprint"),
                          (billing, "billing_name_hash"), (billing, "billing_address_hash"),
                          (sessions, "client_fingerprint")]:
        assert _all_match(frame[column], HEX), column
    assert _all_match(exchanges["prompt_fingerprint"], r"^[0-9a-f]{16}$")
    assert _all_match(billing["card_bin"], r"^\d{6,8}$")
    assert _all_match(billing["billing_postal"], r"^.{1,16}$")
    for frame, column in [(accounts, "country"), (billing, "issuer_country"), (billing, "billing_country")]:
        assert _all_match(frame[column], r"^[A-Z]{2}$"), column
    assert accounts["email"].str.fullmatch(r"[a-z0-9._]+@[a-z0-9.]+\.[a-z]+").all()
    assert accounts["email"].is_unique
    assert set(accounts["plan"]) <= {"free", "build", "scale", "enterprise"}
    assert set(accounts["status"]) <= {"active", "suspended", "banned"}
    assert set(billing["method"]) <= {"card", "prepaid_card", "virtual_card", "bank_transfer", "invoice"}
    assert set(sessions["asn_type"]) <= {"isp", "mobile", "hosting", "proxy", "education", "business", "unknown"}
    assert set(exchanges["capability"]) <= {"reasoning", "coding", "agentic", "tool_use", "vision", "writing",
                                             "analysis", "chat", "other"}
    assert set(exchanges["reasoning_elicited"]) == {"true", "false"}
    assert (exchanges["input_tokens"].astype(int) >= 0).all() and (exchanges["output_tokens"].astype(int) >= 0).all()
    assert (billing["spend_usd"].astype(float) >= 0).all()
    assert sessions["user_agent"].str.len().max() <= 512


def test_ids_are_unique_and_references_hold(drop: Drop) -> None:
    accounts, billing, sessions, exchanges = drop["accounts"], drop["billing"], drop["sessions"], drop["exchanges"]
    for frame, column in [(accounts, "account_id"), (billing, "billing_id"), (sessions, "session_id"),
                          (exchanges, "exchange_id")]:
        assert frame[column].is_unique, column
    known = set(accounts["account_id"])
    assert set(billing["account_id"]) <= known
    assert set(sessions["account_id"]) <= known
    assert set(drop["labels"]["account_id"]) == known
    owner = sessions.set_index("session_id")["account_id"]
    assert (exchanges["session_id"].map(owner) == exchanges["account_id"]).all()


def test_times_are_consistent(drop: Drop, test_config: ScenarioConfig) -> None:
    accounts, billing, sessions, exchanges = drop["accounts"], drop["billing"], drop["sessions"], drop["exchanges"]
    started, ended = _utc(sessions["started_at"]), _utc(sessions["ended_at"])
    assert (ended >= started).all()
    by_session = pd.DataFrame({"start": started.to_numpy(), "end": ended.to_numpy()}, index=sessions["session_id"])
    ts = _utc(exchanges["ts"])
    assert (ts.to_numpy() >= exchanges["session_id"].map(by_session["start"]).to_numpy()).all()
    assert (ts.to_numpy() <= exchanges["session_id"].map(by_session["end"]).to_numpy()).all()
    window_start = _utc(pd.Series([test_config.window.start]))[0]
    window_end = window_start + pd.Timedelta(days=test_config.window.days)
    assert started.min() >= window_start and ended.max() < window_end
    created = accounts.set_index("account_id")["created_at"].pipe(_utc)
    assert (started.to_numpy() >= sessions["account_id"].map(created).to_numpy()).all()
    assert (_utc(billing["created_at"]).to_numpy() >= billing["account_id"].map(created).to_numpy()).all()
    stopped = accounts[accounts["status"] != "active"].set_index("account_id")["status_changed_at"].pipe(_utc)
    late = sessions["account_id"].map(stopped)
    assert (ended[late.notna()].to_numpy() <= late.dropna().to_numpy()).all()  # nothing after a ban or suspension


def test_models_are_used_only_after_release(drop: Drop) -> None:
    releases = drop["model_releases"].set_index("model")["released_at"].pipe(_utc)
    exchanges = drop["exchanges"]
    assert set(exchanges["model"]) <= set(releases.index)
    assert (_utc(exchanges["ts"]).to_numpy() >= exchanges["model"].map(releases).to_numpy()).all()


def test_ids_and_emails_look_the_same_in_every_population(drop: Drop) -> None:
    accounts, sessions, exchanges = drop["accounts"], drop["sessions"], drop["exchanges"]
    for frame, column, pattern in [(accounts, "account_id", r"acct_[0-9a-f]{16}"),
                                   (sessions, "session_id", r"sess_[0-9a-f]{16}"),
                                   (sessions, "api_key_id", r"key_[0-9a-f]{16}"),
                                   (exchanges, "exchange_id", r"ex_[0-9a-f]{16}")]:
        matches = frame[column].str.fullmatch(pattern).groupby(frame["population"]).mean()
        assert (matches == 1.0).all(), column
    local = accounts["email"].str.split("@").str[0]
    dotted = local.str.fullmatch(r"[a-z]+\.[a-z]+").groupby(accounts["campaign"].notna()).mean()
    assert abs(dotted[True] - dotted[False]) < 0.2


def test_file_order_carries_no_label_signal(drop: Drop) -> None:
    accounts, exchanges = drop["accounts"], drop["exchanges"]
    position = pd.Series(range(len(accounts)), index=accounts.index) / len(accounts)
    campaign_positions = position[accounts["campaign"].notna()]
    assert 0.35 < campaign_positions.mean() < 0.65
    head = exchanges.head(len(exchanges) // 10)
    assert head["campaign"].notna().any() and head["campaign"].isna().any()
    assert head["population"].nunique() >= 5
