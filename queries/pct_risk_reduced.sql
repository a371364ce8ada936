-- pct_risk_reduced: share of episodes ended in the period whose risk at the end was lower than at the start
-- (LOW < MEDIUM < HIGH).
-- kind: percentage
-- numerator: episodes with end_date in the period, both risks recorded, and risk_at_end lower than risk_at_start
-- denominator: episodes with end_date in the period and both risks recorded
-- grain: authority_code (and ALL), period; value = 100 × numerator / denominator
-- inputs: scoped_periods, episodes_scoped
with periods as (
    select * from scoped_periods
),

episodes as (
    select * from episodes_scoped
),

ended as (
    select
        p.authority_code,
        p.period,
        case e.risk_at_start when 'LOW' then 1 when 'MEDIUM' then 2 when 'HIGH' then 3 end as start_rank,
        case e.risk_at_end when 'LOW' then 1 when 'MEDIUM' then 2 when 'HIGH' then 3 end as end_rank
    from periods as p
    inner join episodes as e
        on e.authority_code = p.authority_code
        and e.end_date between p.period_start and p.period_end
    where e.risk_at_start is not null and e.risk_at_end is not null
),

counts as (
    select
        authority_code,
        period,
        sum(case when end_rank < start_rank then 1 else 0 end) as numerator,
        count(*) as denominator
    from ended
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
