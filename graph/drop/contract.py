"""The drop input contract (spec/telemetry.md) as data: the one place that lists files, columns and rules.

Everything else (reader, validator, ingest) reads these tables instead of repeating column names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's text is checked and what type the validator turns it into."""

    ID = "id"  # 1-64 chars of [A-Za-z0-9_.:-], kept verbatim
    TIMESTAMP = "timestamp"  # ISO 8601 in UTC (Z or +00:00) -> datetime64[ns, UTC]
    STRING = "string"  # free text, optional max_len, kept verbatim
    EMAIL = "email"  # <= 254 chars, a non-empty local part, "@", a non-empty domain; kept verbatim
    ENUM = "enum"  # exactly one of `choices` (case-sensitive)
    INT = "int"  # integer, optional min_value -> int64 (Int64 when optional)
    DECIMAL = "decimal"  # decimal number, optional min_value -> float64
    BOOL = "bool"  # true/false/1/0 (case-insensitive) -> bool
    HEX = "hex"  # hex digits, min_len..max_len -> lower-cased
    IP = "ip"  # IPv4 or IPv6 -> canonical text form (ipaddress)
    COUNTRY = "country"  # ISO 3166-1 alpha-2: two upper-case letters
    DIGITS = "digits"  # decimal digits only, min_len..max_len (card_bin), kept as text


class DupPolicy(StrEnum):
    """What a repeated natural key within one file means."""

    KEEP_LAST = "keep_last"  # an update: every occurrence is valid, the later row wins (flagged `_dup`)
    DROP = "drop"  # a re-sent event: later occurrences are dropped and counted


ID_MAX_LEN = 64
EMAIL_MAX_LEN = 254
HASH_MAX_LEN = 128


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a drop file: its name, kind, whether a value is required, and its limits."""

    name: str
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()
    min_len: int | None = None
    max_len: int | None = None
    min_value: float | None = None


@dataclass(frozen=True)
class Reference:
    """A column whose value must be the natural key of a row of another file (this drop or an earlier one)."""

    column: str
    target: str  # a FILES name: "accounts" or "sessions"


@dataclass(frozen=True)
class FileSpec:
    """One drop file: its columns in contract order, natural key, references and cross-column rules."""

    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: str | None
    on_duplicate: DupPolicy = DupPolicy.KEEP_LAST
    references: tuple[Reference, ...] = ()
    not_before: tuple[tuple[str, str], ...] = ()  # (later, earlier): later >= earlier when both are set

    def column(self, name: str) -> ColumnSpec:
        """The spec of one column by name (KeyError when the contract has no such column)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Contract column names in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the file's header (and hold a value on every row)."""
        return tuple(c.name for c in self.columns if c.required)


def _id(name: str, required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, Kind.ID, required, min_len=1, max_len=ID_MAX_LEN)


def _ts(name: str, required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, Kind.TIMESTAMP, required)


def _hex(name: str, required: bool, min_len: int = 1, max_len: int = HASH_MAX_LEN) -> ColumnSpec:
    return ColumnSpec(name, Kind.HEX, required, min_len=min_len, max_len=max_len)


def _enum(name: str, required: bool, *choices: str) -> ColumnSpec:
    return ColumnSpec(name, Kind.ENUM, required, choices=choices)


PLANS = ("free", "build", "scale", "enterprise")
STATUSES = ("active", "suspended", "banned")
PAYMENT_METHODS = ("card", "prepaid_card", "virtual_card", "bank_transfer", "invoice")
ASN_TYPES = ("isp", "mobile", "hosting", "proxy", "education", "business", "unknown")
CAPABILITIES = (
    "reasoning",
    "coding",
    "agentic",
    "tool_use",
    "vision",
    "writing",
    "analysis",
    "chat",
    "other",
)

ACCOUNTS = FileSpec(
    name="accounts",
    required=True,
    key="account_id",
    columns=(
        _id("account_id"),
        _ts("created_at"),
        ColumnSpec("email", Kind.EMAIL, True, max_len=EMAIL_MAX_LEN),
        _id("org_id", required=False),
        ColumnSpec("country", Kind.COUNTRY, False),
        ColumnSpec("signup_ip", Kind.IP, False),
        _hex("signup_fingerprint", False, 8, 64),
        _enum("plan", True, *PLANS),
        _enum("status", True, *STATUSES),
        _ts("status_changed_at", required=False),
    ),
)

BILLING = FileSpec(
    name="billing",
    required=True,
    key="billing_id",
    references=(Reference("account_id", "accounts"),),
    columns=(
        _id("billing_id"),
        _id("account_id"),
        _ts("created_at"),
        _enum("method", True, *PAYMENT_METHODS),
        _hex("payment_fingerprint", True, 8, 64),
        ColumnSpec("card_bin", Kind.DIGITS, False, min_len=6, max_len=8),
        ColumnSpec("issuer_country", Kind.COUNTRY, False),
        ColumnSpec("billing_country", Kind.COUNTRY, False),
        ColumnSpec("billing_postal", Kind.STRING, False, max_len=16),
        _hex("billing_name_hash", False),
        _hex("billing_address_hash", False),
        ColumnSpec("spend_usd", Kind.DECIMAL, True, min_value=0),
    ),
)

SESSIONS = FileSpec(
    name="sessions",
    required=True,
    key="session_id",
    references=(Reference("account_id", "accounts"),),
    not_before=(("ended_at", "started_at"),),
    columns=(
        _id("session_id"),
        _id("account_id"),
        _id("api_key_id"),
        _ts("started_at"),
        _ts("ended_at"),
        ColumnSpec("ip", Kind.IP, True),
        ColumnSpec("asn", Kind.INT, False, min_value=0),
        ColumnSpec("asn_name", Kind.STRING, False),
        _enum("asn_type", False, *ASN_TYPES),
        ColumnSpec("user_agent", Kind.STRING, False, max_len=512),
        _hex("client_fingerprint", False),
    ),
)

EXCHANGES = FileSpec(
    name="exchanges",
    required=False,
    key="exchange_id",
    on_duplicate=DupPolicy.DROP,
    references=(Reference("session_id", "sessions"), Reference("account_id", "accounts")),
    columns=(
        _id("exchange_id"),
        _id("session_id"),
        _id("account_id"),
        _ts("ts"),
        ColumnSpec("model", Kind.STRING, True),
        _enum("capability", True, *CAPABILITIES),
        _hex("prompt_fingerprint", True, 16, 16),
        ColumnSpec("input_tokens", Kind.INT, True, min_value=0),
        ColumnSpec("output_tokens", Kind.INT, True, min_value=0),
        ColumnSpec("reasoning_elicited", Kind.BOOL, True),
    ),
)

MODEL_RELEASES = FileSpec(
    name="model_releases",
    required=False,
    key="model",
    columns=(
        ColumnSpec("model", Kind.STRING, True),
        _ts("released_at"),
    ),
)

# Load order: referenced files come before the files that reference them.
FILES: dict[str, FileSpec] = {
    spec.name: spec for spec in (ACCOUNTS, BILLING, SESSIONS, EXCHANGES, MODEL_RELEASES)
}

# Never read by ingest or detection (evaluation ground truth); listed so it is not reported as unrecognised.
EVALUATION_ONLY = ("labels",)

FORMATS = (".csv", ".csv.gz", ".parquet")

# Columns the validator adds to every frame of valid rows.
ROW_COLUMN = "_row"  # 1-based data row number in the file (the first row after the header is 1)
DUP_COLUMN = (
    "_dup"  # True when an earlier valid row of the same file had the same key (this row supersedes it)
)
