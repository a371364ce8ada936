"""DuckDB recomputes two headline metrics from the pseudonymised tables; they must equal rni's."""

import os
from pathlib import Path

import duckdb
import pandas as pd

WAREHOUSE = Path(os.environ.get("RNI_WAREHOUSE", "rni-demo/warehouse")).resolve()

PERIODS = f"""
    periods as (
        select distinct authority_code, period,
            make_date(cast(substr(period, 1, 4) as int), (cast(substr(period, 6, 1) as int) - 1) * 3 + 1, 1) as period_start
        from read_parquet('{WAREHOUSE}/tables/*/*/*/*.parquet', hive_partitioning = true, union_by_name = true)
    ),
    bounds as (
        select authority_code, period, period_start,
            cast(period_start + interval 3 month - interval 1 day as date) as period_end
        from periods
    ),
    latest as (
        select * exclude (recency) from (
            select *, row_number() over (partition by authority_code, episode_id order by period desc) as recency
            from read_parquet('{WAREHOUSE}/tables/episodes/*/*/*.parquet', hive_partitioning = true)
        ) where recency = 1
    )
"""


def exact(metric: str) -> pd.DataFrame:
    rows = pd.read_csv(WAREHOUSE / "restricted" / "metric_values_exact.csv", dtype={"breakdown": str}, keep_default_na=False)
    rows = rows[(rows["metric"] == metric) & (rows["breakdown"] == "") & (rows["authority_code"] != "ALL")]
    return rows.set_index(["authority_code", "period"]).sort_index()


def test_young_people_reached_agrees():
    sql = f"""
        with {PERIODS}
        select b.authority_code, b.period, count(distinct e.person_id) as numerator
        from bounds b
        left join latest e
            on e.authority_code = b.authority_code
            and e.start_date <= b.period_end
            and (e.end_date is null or e.end_date >= b.period_start)
        group by 1, 2
    """
    duck = duckdb.sql(sql).df().set_index(["authority_code", "period"]).sort_index()
    rni = exact("young_people_reached")
    assert len(rni) > 0 and len(duck) == len(rni)
    assert (duck["numerator"].astype(int) == rni["numerator"].astype(int)).all()


def test_pct_contextual_assessment_agrees():
    sql = f"""
        with {PERIODS}
        select b.authority_code, b.period,
            coalesce(sum(case when e.contextual_assessment then 1 else 0 end), 0) as numerator,
            count(e.episode_id) as denominator
        from bounds b
        left join latest e
            on e.authority_code = b.authority_code
            and e.start_date between b.period_start and b.period_end
        group by 1, 2
    """
    duck = duckdb.sql(sql).df().set_index(["authority_code", "period"]).sort_index()
    rni = exact("pct_contextual_assessment")
    assert len(rni) > 0 and len(duck) == len(rni)
    assert (duck["numerator"].astype(int) == rni["numerator"].astype(int)).all()
    assert (duck["denominator"].astype(int) == rni["denominator"].astype(int)).all()
    values = 100.0 * duck["numerator"] / duck["denominator"]
    assert ((values - rni["value"].astype(float)).abs() < 1e-9).all()
