-- contexts_latest: one row per context_id per authority, from the latest return that holds it.
-- grain: authority_code, context_id
-- inputs: contexts
with source as (
    -- free text is never counted: leaving it out keeps it unread (the Parquet column is skipped)
    select * exclude (description) from contexts
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, context_id order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
