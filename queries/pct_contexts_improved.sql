-- pct_contexts_improved: share of contexts assessed in the period, with an intervention, whose outcome was IMPROVED.
-- kind: percentage
-- numerator: contexts with assessment_date in the period, intervention recorded and not NONE, and outcome IMPROVED
-- denominator: contexts with assessment_date in the period and intervention recorded and not NONE
-- grain: authority_code (and ALL), period; value = 100 × numerator / denominator
-- inputs: scoped_periods, contexts_scoped
with periods as (
    select * from scoped_periods
),

contexts as (
    select * from contexts_scoped
),

assessed as (
    select p.authority_code, p.period, c.context_id, c.outcome
    from periods as p
    inner join contexts as c
        on c.authority_code = p.authority_code
        and c.assessment_date between p.period_start and p.period_end
    where c.intervention is not null and c.intervention <> 'NONE'
),

counts as (
    select
        authority_code,
        period,
        sum(case when outcome = 'IMPROVED' then 1 else 0 end) as numerator,
        count(*) as denominator
    from assessed
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
