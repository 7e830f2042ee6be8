"""The telemetry drop contract (spec/telemetry.md): file and column specs, a chunked reader and a validator.

Shared by ingest and by the ``validate_drop`` command; nothing here writes anywhere.
"""

from graph.drop.contract import (
    DUP_COLUMN,
    FILES,
    FORMATS,
    ROW_COLUMN,
    ColumnSpec,
    DupPolicy,
    FileSpec,
    Kind,
    Reference,
)
from graph.drop.reader import DropRejected, RawChunk, iter_chunks, locate_drop, read_header
from graph.drop.references import References
from graph.drop.validate import (
    DropReport,
    FileReport,
    Issue,
    check_header,
    format_report,
    unrecognised_files,
    validate_chunk,
    validate_chunk_table,
    validate_drop,
    validate_file,
)

__all__ = [
    "DUP_COLUMN",
    "FILES",
    "FORMATS",
    "ROW_COLUMN",
    "Reference",
    "ColumnSpec",
    "DropRejected",
    "DropReport",
    "DupPolicy",
    "FileReport",
    "FileSpec",
    "Issue",
    "Kind",
    "RawChunk",
    "References",
    "check_header",
    "format_report",
    "iter_chunks",
    "locate_drop",
    "read_header",
    "unrecognised_files",
    "validate_chunk",
    "validate_chunk_table",
    "validate_drop",
    "validate_file",
]
