-- pct_rereferral_12m: share of episodes started in the period where the same young person had another
-- episode end in the 365 days before this one started (on or after start - 365 days, before the start).
-- kind: percentage
-- numerator: episodes started in the period with an earlier episode of the same person ending in the 365 days before their start
-- denominator: episodes started in the period
-- grain: authority_code (and ALL), period; value = 100 × numerator / denominator
-- inputs: scoped_periods, episodes_scoped, int_episodes_started
with periods as (
    select * from scoped_periods
),

episodes as (
    select * from episodes_scoped
),

started as (
    select authority_code, period, episode_id, person_id, start_date from int_episodes_started
),

flagged as (
    select
        s.authority_code,
        s.period,
        s.episode_id,
        max(case when o.episode_id is null then 0 else 1 end) as is_rereferral
    from started as s
    left join episodes as o
        on o.authority_code = s.authority_code
        and o.person_id = s.person_id
        and o.episode_id <> s.episode_id
        and o.end_date < s.start_date
        and o.end_date >= s.start_date - interval '365 days'
    group by s.authority_code, s.period, s.episode_id
),

counts as (
    select authority_code, period, sum(is_rereferral) as numerator, count(*) as denominator
    from flagged
    group by authority_code, period
),

final as (
    select
        p.authority_code,
        p.period,
        '' as breakdown,
        cast(coalesce(c.numerator, 0) as bigint) as numerator,
        cast(coalesce(c.denominator, 0) as bigint) as denominator,
        case when c.denominator > 0 then 100.0 * c.numerator / c.denominator end as value
    from periods as p
    left join counts as c
        on c.authority_code = p.authority_code and c.period = p.period
)

select * from final
