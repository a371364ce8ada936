-- episodes_started: episodes with start_date in the period, in total and by harm type
-- (an episode with two harm types counts once in each of those breakdowns and once in the total).
-- kind: count
-- numerator: episodes started in the period (with that harm type)
-- denominator: none
-- grain: authority_code (and ALL), period, breakdown ('' or a harm type code)
-- inputs: scoped_periods, int_episodes_started, codes
with periods as (
    select * from scoped_periods
),

harm_types as (
    select code from codes where table_name = 'episodes' and column_name = 'harm_types'
),

started as (
    select authority_code, period, episode_id, harm_types from int_episodes_started
),

started_by_harm as (
    select authority_code, period, episode_id, unnest(harm_types) as harm_type
    from started
),

cells as (
    select p.authority_code, p.period, '' as breakdown from periods as p
    union all
    select p.authority_code, p.period, h.code as breakdown from periods as p cross join harm_types as h
),

counts as (
    select authority_code, period, '' as breakdown, count(distinct episode_id) as n
    from started
    group by authority_code, period
    union all
    select authority_code, period, harm_type as breakdown, count(distinct episode_id) as n
    from started_by_harm
    group by authority_code, period, harm_type
),

final as (
    select
        c.authority_code,
        c.period,
        c.breakdown,
        coalesce(n.n, 0) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(n.n, 0) as double) as value
    from cells as c
    left join counts as n
        on n.authority_code = c.authority_code and n.period = c.period and n.breakdown = c.breakdown
)

select * from final
