-- panels_latest: one row per meeting_id per authority, from the latest return that holds it.
-- grain: authority_code, meeting_id
-- inputs: panels
with source as (
    select * from panels
),

latest_period as (
    -- ids are unique within a return, so the latest period identifies one row; a grouping
    -- and a hash join need no sort, unlike row_number() over the whole table
    select authority_code, meeting_id, max(period) as period
    from source
    group by authority_code, meeting_id
),

final as (
    select source.*
    -- the narrow grouping is the join's build side (held in memory), the wide table streams past it
    from latest_period
    inner join source
        on source.authority_code = latest_period.authority_code
        and source.meeting_id = latest_period.meeting_id
        and source.period = latest_period.period
)

select * from final
