-- practice_latest: one row per activity_id per authority, from the latest return that holds it.
-- grain: authority_code, activity_id
-- inputs: practice
with source as (
    -- free text is never counted: leaving it out keeps it unread (the Parquet column is skipped)
    select * exclude (title) from practice
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, activity_id order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
