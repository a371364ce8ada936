-- practice_latest: one row per activity_id per authority, from the latest return that holds it.
-- grain: authority_code, activity_id
-- inputs: practice
with source as (
    -- free text is never counted: leaving it out keeps it unread (the Parquet column is skipped)
    select * exclude (title) from practice
),

latest_period as (
    -- ids are unique within a return, so the latest period identifies one row; a grouping
    -- and a hash join need no sort, unlike row_number() over the whole table
    select authority_code, activity_id, max(period) as period
    from source
    group by authority_code, activity_id
),

final as (
    select source.*
    -- the narrow grouping is the join's build side (held in memory), the wide table streams past it
    from latest_period
    inner join source
        on source.authority_code = latest_period.authority_code
        and source.activity_id = latest_period.activity_id
        and source.period = latest_period.period
)

select * from final
