-- efh_factor_rate: extra-familial harm factors identified at the end of children-in-need assessments,
-- per 10,000 children aged 0 to 17 (DfE Children in Need census; ONS mid-year estimates).
-- kind: reference
-- numerator: DfE count of episodes with that factor at the end of assessment in the reporting year
-- denominator: ONS estimate of children aged 0 to 17 at mid-year before the reporting year's end (year - 1)
-- grain: authority_code (each authority with a return, its statistical neighbours as SN:<code>, England E92000001),
--        period (DfE reporting year, e.g. 2025), breakdown (factor); value = 10000 × numerator / denominator.
--        SN rows are the mean of the rates of the neighbours that have one (numerator and denominator empty).
--        A published symbol (c, x, z, u) stays in status and the value stays empty.
-- inputs: efh_factors, population, statistical_neighbours, periods
with factors as (
    select * from efh_factors
),

population as (
    select * from population
),

neighbours as (
    select * from statistical_neighbours
),

returned as (
    select distinct authority_code from periods
),

rates as (
    select
        f.authority_code,
        f.year,
        f.factor,
        f.factor_count,
        p.population,
        case when f.factor_count is not null and p.population > 0 then 10000.0 * f.factor_count / p.population end as rate,
        case
            when f.symbol is not null then f.symbol
            when p.population is null then coalesce(p.symbol, 'x')
            else ''
        end as status
    from factors as f
    left join population as p
        on p.authority_code = f.authority_code and p.year = f.year - 1
),

authority_rows as (
    select
        authority_code,
        cast(year as varchar) as period,
        factor as breakdown,
        factor_count as numerator,
        population as denominator,
        rate as value,
        status
    from rates
    where authority_code in (select authority_code from returned) or authority_code = 'E92000001'
),

neighbour_rows as (
    select
        'SN:' || n.authority_code as authority_code,
        cast(r.year as varchar) as period,
        r.factor as breakdown,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        avg(r.rate) as value,
        case when count(r.rate) = 0 then 'x' else '' end as status
    from neighbours as n
    inner join rates as r
        on r.authority_code = n.neighbour_code
    where n.authority_code in (select authority_code from returned)
    group by n.authority_code, r.year, r.factor
),

final as (
    select * from authority_rows
    union all
    select * from neighbour_rows
)

select * from final
