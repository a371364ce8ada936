"""The warehouse as other tools read it: pyarrow sees each column's description,
treatment and source; polars reads the same tables and metrics as pandas."""

import os
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq

WAREHOUSE = Path(os.environ.get("RNI_WAREHOUSE", "rni-demo/warehouse")).resolve()
TABLES = sorted(p.name for p in (WAREHOUSE / "tables").iterdir() if p.is_dir())


def dataset(table: str) -> ds.Dataset:
    return ds.dataset(WAREHOUSE / "tables" / table, format="parquet", partitioning="hive")


def test_every_column_says_what_it_is():
    assert "young_people" in TABLES and "episodes" in TABLES
    for table in TABLES:
        schema = dataset(table).schema
        for field in schema:
            if field.name in ("authority_code", "period"):
                continue  # from the folder names
            meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            assert meta.get("description"), f"{table}.{field.name} has no description"
            assert meta.get("treatment"), f"{table}.{field.name} has no treatment"
            assert meta.get("source_column"), f"{table}.{field.name} has no source column"
    metrics = pq.read_schema(WAREHOUSE / "metrics" / "metric_values.parquet")
    for field in metrics:
        assert field.metadata and field.metadata.get(b"description"), f"metric_values.{field.name}"
    people = {f.name: f for f in dataset("young_people").schema}
    assert b"pseudonymise" in people["person_id"].metadata[b"treatment"]
    assert b"scrub" in people["notes"].metadata[b"treatment"]


def test_polars_reads_what_pandas_and_pyarrow_read():
    for table in TABLES:
        lazy = pl.scan_parquet(WAREHOUSE / "tables" / table / "**" / "*.parquet", hive_partitioning=True)
        frame = lazy.collect()
        assert frame.height == dataset(table).count_rows(), table
        assert {"authority_code", "period"} <= set(frame.columns), table
    metrics_pl = pl.read_parquet(WAREHOUSE / "metrics" / "metric_values.parquet")
    metrics_pd = pd.read_parquet(WAREHOUSE / "metrics" / "metric_values.parquet")
    assert metrics_pl.height == len(metrics_pd) > 0
    assert metrics_pl.columns == list(metrics_pd.columns)
    # The same figure either way.
    reached_pl = metrics_pl.filter(pl.col("metric") == "young_people_reached")["value"].sum()
    reached_pd = metrics_pd.loc[metrics_pd["metric"] == "young_people_reached", "value"].sum()
    assert abs(reached_pl - reached_pd) < 1e-9


def test_metric_values_declare_the_order_they_are_in():
    meta = pq.ParquetFile(WAREHOUSE / "metrics" / "metric_values.parquet").metadata
    sorting = meta.row_group(0).sorting_columns
    names = [meta.schema.column(c.column_index).name for c in sorting]
    assert names == ["metric", "authority_code", "period", "breakdown"]
    frame = pd.read_parquet(WAREHOUSE / "metrics" / "metric_values.parquet")
    keys = list(zip(frame["metric"], frame["authority_code"], frame["period"], frame["breakdown"]))
    assert keys == sorted(keys), "the declared order holds"
