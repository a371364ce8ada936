-- young_people_latest: one row per young person per authority, from the latest return that holds them.
-- grain: authority_code, person_id
-- inputs: young_people
with source as (
    -- free text is never counted: leaving it out keeps it unread (the Parquet column is skipped)
    select * exclude (notes) from young_people
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, person_id order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
