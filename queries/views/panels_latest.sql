-- panels_latest: one row per meeting_id per authority, from the latest return that holds it.
-- grain: authority_code, meeting_id
-- inputs: panels
with source as (
    select * from panels
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, meeting_id order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
