-- practitioners_trained: practitioners reached by training in the period.
-- kind: count
-- numerator: sum of practitioners_reached over TRAINING activities with activity_date in the period
-- denominator: none
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, practice_scoped
with periods as (
    select * from scoped_periods
),

practice as (
    select * from practice_scoped
),

sums as (
    select p.authority_code, p.period, sum(coalesce(a.practitioners_reached, 0)) as n
    from periods as p
    inner join practice as a
        on a.authority_code = p.authority_code
        and a.activity_date between p.period_start and p.period_end
    where a.activity_type = 'TRAINING'
    group by p.authority_code, p.period
),

final as (
    select
        p.authority_code,
        p.period,
        '' as breakdown,
        cast(coalesce(s.n, 0) as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(s.n, 0) as double) as value
    from periods as p
    left join sums as s
        on s.authority_code = p.authority_code and s.period = p.period
)

select * from final
