-- contexts_with_intervention: contexts identified in the period whose intervention is recorded and is not NONE.
-- kind: count
-- numerator: contexts with identified_date in the period and intervention not NONE (an empty intervention does not count)
-- denominator: none
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, contexts_scoped
with periods as (
    select * from scoped_periods
),

contexts as (
    select * from contexts_scoped
),

counts as (
    select p.authority_code, p.period, count(distinct c.context_id) as n
    from periods as p
    inner join contexts as c
        on c.authority_code = p.authority_code
        and c.identified_date between p.period_start and p.period_end
    where c.intervention is not null and c.intervention <> 'NONE'
    group by p.authority_code, p.period
),

final as (
    select
        p.authority_code,
        p.period,
        '' as breakdown,
        coalesce(n.n, 0) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(n.n, 0) as double) as value
    from periods as p
    left join counts as n
        on n.authority_code = p.authority_code and n.period = p.period
)

select * from final
