-- young_people_reached: distinct young people with an episode open at any time in the period.
-- kind: count
-- numerator: distinct person_id with start_date <= period end and (no end_date or end_date >= period start)
-- denominator: none
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, episodes_scoped
with periods as (
    select * from scoped_periods
),

episodes as (
    select * from episodes_scoped
),

open_in_period as (
    select p.authority_code, p.period, e.person_id
    from periods as p
    inner join episodes as e
        on e.authority_code = p.authority_code
        and e.start_date <= p.period_end
        and (e.end_date is null or e.end_date >= p.period_start)
),

counts as (
    select authority_code, period, count(distinct person_id) as reached
    from open_in_period
    group by authority_code, period
),

final as (
    select
        p.authority_code,
        p.period,
        '' as breakdown,
        coalesce(c.reached, 0) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(c.reached, 0) as double) as value
    from periods as p
    left join counts as c
        on c.authority_code = p.authority_code and c.period = p.period
)

select * from final
