-- practice_scoped: the latest practice rows twice over: once under their own authority and once under ALL,
-- so that every metric is computed per authority and programme-wide by the same grouping.
-- grain: authority_code (including ALL), one row per latest practice row
-- inputs: practice_latest
with source as (
    select * from practice_latest
),

final as (
    select * from source
    union all
    select * replace ('ALL' as authority_code) from source
)

select * from final
