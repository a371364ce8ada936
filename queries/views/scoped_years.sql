-- scoped_years: every statutory table sent for a collection year, by authority, plus one programme-wide row (ALL) per table and year.
-- grain: table_name, authority_code (including ALL), period (collection year: 2025 = April 2024 to March 2025)
-- inputs: returned_tables, reporting_years
with sent as (
    select r.table_name, r.authority_code, r.period, r.period_start, r.period_end
    from returned_tables as r
    inner join reporting_years as y
        on r.authority_code = y.authority_code
        and r.period = y.period
),

final as (
    select table_name, authority_code, period, period_start, period_end from sent
    union
    select table_name, 'ALL' as authority_code, period, period_start, period_end from sent
)

select * from final
