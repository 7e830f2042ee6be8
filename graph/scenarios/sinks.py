"""Streaming, byte-deterministic writers for one drop file as CSV, gzip CSV or Parquet.

CSV follows the drop contract: a header row, RFC 4180 quoting, ``true``/``false`` booleans,
empty fields for nulls and ``2026-09-14T08:21:05Z`` timestamps. Gzip members carry mtime 0 and
the bare file name. Parquet uses fixed writer options (zstd level 1, dictionary, statistics, format 2.6)
and UTC timestamp columns; neither format records the time of writing.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graph.scenarios.encode import iso_timestamps

FORMATS: tuple[str, ...] = ("csv", "csv.gz", "parquet")
GZIP_LEVEL = 6


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_timestamp(f.type) else f for f in schema])


def _csv_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            secs = arr.cast(pa.int64()).to_numpy(zero_copy_only=False)
            valid = None if arr.null_count == 0 else ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False))
            columns.append(iso_timestamps(np.nan_to_num(secs).astype(np.int64), valid))
        else:
            columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


class DropFileWriter:
    """Write one drop file (``NAME.csv``, ``NAME.csv.gz`` or ``NAME.parquet``) table by table.

    The file is written under a temporary name and moved into place by ``close``, so an
    interrupted run never leaves a half-written file under the real name.
    """

    def __init__(self, out_dir: Path, name: str, schema: pa.Schema, fmt: str, quote_strings: bool = False):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        self.path = Path(out_dir) / f"{name}.{fmt}"
        self._partial = Path(out_dir) / f".{name}.{fmt}.partial"
        self._raw: BinaryIO | None = None
        self._gzip: gzip.GzipFile | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        if fmt == "parquet":
            self._parquet = pq.ParquetWriter(
                str(self._partial), schema, compression="zstd", compression_level=1, use_dictionary=True,
                write_statistics=True, version="2.6", data_page_version="1.0", store_schema=True,
            )
            return
        self._csv_schema = _csv_schema(schema)
        # Arrow always quotes header names; the names are plain identifiers, so write them bare.
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed" if quote_strings else "none")
        self._raw = open(self._partial, "wb")  # noqa: SIM115 - closed in close()
        sink: BinaryIO = self._raw
        if fmt == "csv.gz":
            self._gzip = gzip.GzipFile(filename=f"{name}.csv", mode="wb", fileobj=self._raw, mtime=0,
                                       compresslevel=GZIP_LEVEL)
            sink = self._gzip  # type: ignore[assignment]
        sink.write((",".join(schema.names) + "\n").encode())
        self._csv = pacsv.CSVWriter(sink, self._csv_schema, write_options=options)

    def write(self, table: pa.Table) -> None:
        """Append rows (the table must have the writer's schema)."""
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=max(table.num_rows, 1))
        elif self._csv is not None:
            self._csv.write_table(_csv_table(table, self._csv_schema))

    def close(self) -> Path:
        """Finish the file and move it into place; return its path."""
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._gzip is not None:
            self._gzip.close()
        if self._raw is not None:
            self._raw.close()
        os.replace(self._partial, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the partial file after a failure."""
        for handle in (self._parquet, self._csv, self._gzip, self._raw):
            try:
                if handle is not None:
                    handle.close()
            except Exception:  # noqa: BLE001 - best effort clean-up while another error propagates
                pass
        self._partial.unlink(missing_ok=True)


def remove_other_formats(out_dir: Path, name: str, fmt: str) -> None:
    """A drop holds each file in exactly one format: remove the same file in the other formats."""
    for other in FORMATS:
        if other != fmt:
            (Path(out_dir) / f"{name}.{other}").unlink(missing_ok=True)
