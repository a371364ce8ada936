-- panel_meetings: panel meetings held in the period, in total and by panel type.
-- kind: count
-- numerator: meetings with meeting_date in the period (of that panel_type)
-- denominator: none
-- grain: authority_code (and ALL), period, breakdown ('' or a panel_type code)
-- inputs: scoped_periods, panels_scoped, codes
with periods as (
    select * from scoped_periods
),

panels as (
    select * from panels_scoped
),

panel_types as (
    select code from codes where table_name = 'panels' and column_name = 'panel_type'
),

in_period as (
    select p.authority_code, p.period, m.meeting_id, m.panel_type
    from periods as p
    inner join panels as m
        on m.authority_code = p.authority_code
        and m.meeting_date between p.period_start and p.period_end
),

cells as (
    select p.authority_code, p.period, '' as breakdown from periods as p
    union all
    select p.authority_code, p.period, t.code as breakdown from periods as p cross join panel_types as t
),

counts as (
    select authority_code, period, '' as breakdown, count(distinct meeting_id) as n
    from in_period
    group by authority_code, period
    union all
    select authority_code, period, panel_type as breakdown, count(distinct meeting_id) as n
    from in_period
    group by authority_code, period, panel_type
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
