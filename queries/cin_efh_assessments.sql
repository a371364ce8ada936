-- cin_efh_assessments: CIN assessments authorised in the collection year that recorded an extra-familial harm factor (Children in Need census).
-- kind: count
-- numerator: assessments authorised between 1 April and 31 March of the collection year with at least one EFH factor (breakdown ''), or with that factor (one breakdown per factor: MISSING 10A, CSE 11A, TRAFFICKING 12A, GANGS 13A, CCE 24A, CHILD_ON_CHILD_PHYSICAL 18B, CHILD_ON_CHILD_SEXUAL 19B; the codes are in reference/cin_efh_factors.csv)
-- denominator: none
-- grain: authority_code (and ALL), period (collection year: 2025 = April 2024 to March 2025), breakdown
-- inputs: int_cin_efh_assessments, scoped_years, cin_efh_factors
with scoped as (
    select authority_code, period from scoped_years where table_name = 'cin_assessments'
),

efh as (
    select * from int_cin_efh_assessments
    union all
    select * replace ('ALL' as authority_code) from int_cin_efh_assessments
),

assessments as (
    select distinct authority_code, period, person_id, referral_date, start_date, authorisation_date
    from efh
),

counts as (
    select authority_code, period, '' as breakdown, count(*) as n
    from assessments
    group by authority_code, period
    union all
    select authority_code, period, factor as breakdown, count(*) as n
    from efh
    group by authority_code, period, factor
),

cells as (
    select s.authority_code, s.period, b.breakdown
    from scoped as s
    -- '' (any factor) and each factor. Written without a UNION of a constant row and a table,
    -- which Ballista 55 cannot run (its tasks report different operators and the job never ends).
    cross join (
        select distinct case when t.any_factor then '' else f.factor end as breakdown
        from cin_efh_factors as f
        cross join (values (true), (false)) as t (any_factor)
    ) as b
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
        on n.authority_code = c.authority_code
        and n.period = c.period
        and n.breakdown = c.breakdown
)

select * from final
