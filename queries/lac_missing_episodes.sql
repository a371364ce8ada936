-- lac_missing_episodes: episodes in which a looked-after child went missing from placement, starting in the collection year (SSDA903).
-- kind: count
-- numerator: distinct (child, start date) of SSDA903 missing rows with MISSING = M starting between 1 April and 31 March of the collection year (away-without-authorisation rows, A, are not counted)
-- denominator: none
-- grain: authority_code (and ALL), period (collection year: 2025 = April 2024 to March 2025)
-- inputs: int_lac_missing_episodes, scoped_years
with years as (
    select authority_code, period from scoped_years where table_name = 'lac_missing'
),

counts as (
    select authority_code, period, count(*) as n
    from int_lac_missing_episodes
    group by authority_code, period
),

final as (
    select
        y.authority_code,
        y.period,
        '' as breakdown,
        coalesce(c.n, 0) as numerator,
        cast(null as bigint) as denominator,
        cast(coalesce(c.n, 0) as double) as value
    from years as y
    left join counts as c
        on c.authority_code = y.authority_code
        and c.period = y.period
)

select * from final
