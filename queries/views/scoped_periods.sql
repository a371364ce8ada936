-- scoped_periods: every authority and quarter with a return, plus one programme-wide row (ALL) per quarter.
-- grain: authority_code, period
-- inputs: periods (the returns in the warehouse, with each quarter's first and last day)
with source as (
    select * from periods
),

final as (
    select authority_code, period, period_start, period_end from source
    union all
    select distinct 'ALL' as authority_code, period, period_start, period_end from source
)

select * from final
