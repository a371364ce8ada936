-- contexts_identified: contexts with identified_date in the period, in total and by context type.
-- kind: count
-- numerator: contexts whose identified_date falls in the period (of that context_type)
-- denominator: none
-- grain: authority_code (and ALL), period, breakdown ('' or a context_type code)
-- inputs: scoped_periods, contexts_scoped, codes
with periods as (
    select * from scoped_periods
),

contexts as (
    select * from contexts_scoped
),

context_types as (
    select code from codes where table_name = 'contexts' and column_name = 'context_type'
),

in_period as (
    select p.authority_code, p.period, c.context_id, c.context_type
    from periods as p
    inner join contexts as c
        on c.authority_code = p.authority_code
        and c.identified_date between p.period_start and p.period_end
),

cells as (
    select p.authority_code, p.period, '' as breakdown from periods as p
    union all
    select p.authority_code, p.period, t.code as breakdown from periods as p cross join context_types as t
),

counts as (
    select authority_code, period, '' as breakdown, count(distinct context_id) as n
    from in_period
    group by authority_code, period
    union all
    select authority_code, period, context_type as breakdown, count(distinct context_id) as n
    from in_period
    group by authority_code, period, context_type
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
