-- policy_documents_cs: policy documents in the period that refer to Contextual Safeguarding.
-- kind: count
-- numerator: POLICY_DOCUMENT activities with activity_date in the period and references_cs Y
-- denominator: none
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, practice_scoped
with periods as (
    select * from scoped_periods
),

practice as (
    select * from practice_scoped
),

counts as (
    select p.authority_code, p.period, count(distinct a.activity_id) as n
    from periods as p
    inner join practice as a
        on a.authority_code = p.authority_code
        and a.activity_date between p.period_start and p.period_end
    where a.activity_type = 'POLICY_DOCUMENT' and a.references_cs
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
