-- lac_children_missing: looked-after children who went missing from placement in the collection year (SSDA903).
-- kind: count
-- numerator: distinct children with SSDA903 missing rows with MISSING = M starting between 1 April and 31 March of the collection year (away-without-authorisation rows, A, are not counted)
-- denominator: none
-- grain: authority_code (and ALL), period (collection year: 2025 = April 2024 to March 2025)
-- inputs: lac_missing, returned_tables
with sent as (
    select authority_code, period, period_start, period_end from returned_tables where table_name = 'lac_missing'
),

scoped as (
    select authority_code, period from sent
    union
    select 'ALL' as authority_code, period from sent
),

episodes as (
    select distinct m.authority_code, m.period, m.person_id, m.start_date
    from lac_missing as m
    inner join sent as s
        on s.authority_code = m.authority_code
        and s.period = m.period
    where m.missing_type = 'M'
        and m.start_date between s.period_start and s.period_end
),

counts as (
    select authority_code, period, count(distinct person_id) as n from episodes group by authority_code, period
    union all
    select 'ALL' as authority_code, period, count(distinct authority_code || person_id) as n from episodes group by period
),

final as (
    select
        s.authority_code,
        s.period,
        '' as breakdown,
        coalesce(c.n, 0) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(c.n, 0) as double) as value
    from scoped as s
    left join counts as c
        on c.authority_code = s.authority_code
        and c.period = s.period
)

select * from final
