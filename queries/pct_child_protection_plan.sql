-- pct_child_protection_plan: share of episodes started in the period on a child protection plan.
-- kind: percentage
-- numerator: episodes started in the period with plan_type CHILD_PROTECTION
-- denominator: episodes started in the period
-- grain: authority_code (and ALL), period; value = 100 × numerator / denominator
-- inputs: scoped_periods, episodes_scoped
with periods as (
    select * from scoped_periods
),

episodes as (
    select * from episodes_scoped
),

started as (
    select
        p.authority_code,
        p.period,
        e.episode_id,
        e.contextual_assessment,
        e.plan_type,
        e.relocated,
        e.parents_engaged
    from periods as p
    inner join episodes as e
        on e.authority_code = p.authority_code
        and e.start_date between p.period_start and p.period_end
),

counts as (
    select
        authority_code,
        period,
        sum(case when plan_type = 'CHILD_PROTECTION' then 1 else 0 end) as numerator,
        count(*) as denominator
    from started
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
