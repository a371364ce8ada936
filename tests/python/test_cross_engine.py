"""Every metric file in `queries/`, with the views it reads (`queries/views/`), run by two
other engines over the warehouse — DataFusion's Python package and DuckDB — gives rni's
exact (restricted, before disclosure control) figures.

The engines read the warehouse's Parquet themselves. The few small tables rni builds in
memory (the quarters of each return, the code lists, the published reference figures) are
taken from `rni query` and handed to each engine as Arrow tables. The SQL files run as they
are in DataFusion; for DuckDB a handful of dialect differences are rewritten
(`DUCKDB_DIALECT`), and nothing else.
"""

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from datafusion import SessionConfig, SessionContext

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE = Path(os.environ.get("RNI_WAREHOUSE", "rni-demo/warehouse")).resolve()
RNI = os.environ.get("RNI_BIN", str(ROOT / "target" / "debug" / "rni"))

# The tables rni registers from memory, with their Arrow types.
IN_MEMORY = {
    "periods": [("authority_code", pa.string()), ("period", pa.string()), ("period_start", pa.date32()), ("period_end", pa.date32())],
    "reporting_years": [
        ("authority_code", pa.string()),
        ("period", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
    ],
    "cin_efh_factors": [("code", pa.string()), ("factor", pa.string())],
    "returned_tables": [
        ("table_name", pa.string()),
        ("authority_code", pa.string()),
        ("period", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
    ],
    "codes": [("table_name", pa.string()), ("column_name", pa.string()), ("code", pa.string())],
    "efh_factors": [
        ("authority_code", pa.string()),
        ("year", pa.int32()),
        ("factor", pa.string()),
        ("factor_count", pa.int64()),
        ("symbol", pa.string()),
    ],
    "population": [("authority_code", pa.string()), ("year", pa.int32()), ("population", pa.int64()), ("symbol", pa.string())],
    "statistical_neighbours": [("authority_code", pa.string()), ("neighbour_code", pa.string()), ("rank", pa.int32())],
}

# DataFusion SQL that DuckDB spells differently.
DUCKDB_DIALECT = [
    # A date as a day number: DataFusion casts a date to bigint, DuckDB subtracts the epoch.
    (
        re.compile(r"cast\(((?:\w+\()?[\w.]*_date\)?) as bigint\)", re.I),
        r"(\1 - date '1970-01-01')",
    ),
]


def view_order() -> list[str]:
    """The views in the order rni creates them (later views read earlier ones)."""
    source = (ROOT / "pipeline" / "config" / "queries.rs").read_text()
    return re.findall(r'include_str!\("\.\./\.\./queries/views/(\w+)\.sql"\)', source)


METRICS = sorted(p.stem for p in (ROOT / "queries").glob("*.sql"))


def in_memory_tables() -> dict[str, pa.Table]:
    tables = {}
    for name, fields in IN_MEMORY.items():
        out = subprocess.run(
            [RNI, "--quiet", "query", str(WAREHOUSE), f"select * from {name}", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        for row in rows:
            for field, kind in fields:
                if kind == pa.date32() and row.get(field) is not None:
                    row[field] = dt.date.fromisoformat(row[field])
        tables[name] = pa.Table.from_pylist(rows, schema=pa.schema(fields))
    return tables


def warehouse_tables() -> list[str]:
    return sorted(p.name for p in (WAREHOUSE / "tables").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def memory():
    return in_memory_tables()


@pytest.fixture(scope="module")
def datafusion_ctx(memory):
    config = SessionConfig().set("datafusion.execution.parquet.schema_force_view_types", "false")
    ctx = SessionContext(config)
    for table in warehouse_tables():
        ctx.register_parquet(
            table,
            str(WAREHOUSE / "tables" / table) + "/",
            table_partition_cols=[("authority_code", pa.string()), ("period", pa.string())],
        )
    for name, table in memory.items():
        ctx.register_record_batches(name, [table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]])
    for view in view_order():
        ctx.sql(f"create view {view} as {(ROOT / 'queries' / 'views' / f'{view}.sql').read_text()}").collect()
    return ctx


def duckdb_sql(sql: str) -> str:
    for pattern, replacement in DUCKDB_DIALECT:
        sql = pattern.sub(replacement, sql)
    return sql


@pytest.fixture(scope="module")
def duck(memory):
    con = duckdb.connect()
    for table in warehouse_tables():
        con.execute(
            f"create view {table} as select * from read_parquet('{WAREHOUSE}/tables/{table}/*/*/*.parquet', "
            "hive_partitioning = true, hive_types = {'authority_code': 'VARCHAR', 'period': 'VARCHAR'})"
        )
    for name, table in memory.items():
        con.register(f"{name}_arrow", table)
        con.execute(f"create view {name} as select * from {name}_arrow")
    for view in view_order():
        con.execute(f"create view {view} as {duckdb_sql((ROOT / 'queries' / 'views' / f'{view}.sql').read_text())}")
    return con


def exact(metric: str) -> dict:
    rows = pd.read_csv(
        WAREHOUSE / "restricted" / "metric_values_exact.csv", dtype={"breakdown": str, "period": str}, keep_default_na=False
    )
    rows = rows[rows["metric"] == metric]
    return {
        (r.authority_code, r.period, r.breakdown): (r.numerator, r.denominator, r.value) for r in rows.itertuples()
    }


def number(v):
    if v is None or (isinstance(v, str) and v == "") or pd.isna(v):
        return None
    return float(v)


def same(engine_rows: pd.DataFrame, expected: dict, metric: str, engine: str) -> None:
    got = {}
    for r in engine_rows.itertuples():
        breakdown = "" if r.breakdown is None else str(r.breakdown)
        got[(r.authority_code, str(r.period), breakdown)] = (r.numerator, r.denominator, r.value)
    assert len(expected) > 0, f"{metric}: rni has no rows"
    assert set(got) == set(expected), f"{engine} {metric}: rows differ: {sorted(set(got) ^ set(expected))[:5]}"
    for key, want in expected.items():
        for part, a, b in zip(("numerator", "denominator", "value"), got[key], want):
            a, b = number(a), number(b)
            assert (a is None) == (b is None), f"{engine} {metric} {key} {part}: {a} vs {b}"
            if a is not None:
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{engine} {metric} {key} {part}: {a} vs {b}"


def test_every_metric_file_is_covered():
    assert len(METRICS) >= 20
    assert len(view_order()) == len(list((ROOT / "queries" / "views").glob("*.sql")))


@pytest.mark.parametrize("metric", METRICS)
def test_datafusion_python_gives_rnis_figures(metric, datafusion_ctx):
    sql = (ROOT / "queries" / f"{metric}.sql").read_text()
    same(datafusion_ctx.sql(sql).to_pandas(), exact(metric), metric, "DataFusion (Python)")


@pytest.mark.parametrize("metric", METRICS)
def test_duckdb_gives_rnis_figures(metric, duck):
    sql = duckdb_sql((ROOT / "queries" / f"{metric}.sql").read_text())
    same(duck.sql(sql).df(), exact(metric), metric, "DuckDB")
