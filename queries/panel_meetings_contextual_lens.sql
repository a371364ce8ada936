-- panel_meetings_contextual_lens: panel meetings in the period that applied a contextual lens.
-- kind: count
-- numerator: meetings with meeting_date in the period and contextual_lens Y
-- denominator: none
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, panels_scoped
with periods as (
    select * from scoped_periods
),

panels as (
    select * from panels_scoped
),

counts as (
    select p.authority_code, p.period, count(distinct m.meeting_id) as n
    from periods as p
    inner join panels as m
        on m.authority_code = p.authority_code
        and m.meeting_date between p.period_start and p.period_end
    where m.contextual_lens
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
