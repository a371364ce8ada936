-- young_people_latest: one row per young person per authority, from the latest return that holds them.
-- grain: authority_code, person_id
-- inputs: young_people
with source as (
    -- free text is never counted: leaving it out keeps it unread (the Parquet column is skipped)
    select * exclude (notes) from young_people
),

latest_period as (
    -- ids are unique within a return, so the latest period identifies one row; a grouping
    -- and a hash join need no sort, unlike row_number() over the whole table
    select authority_code, person_id, max(period) as period
    from source
    group by authority_code, person_id
),

final as (
    select source.*
    -- the narrow grouping is the join's build side (held in memory), the wide table streams past it
    from latest_period
    inner join source
        on source.authority_code = latest_period.authority_code
        and source.person_id = latest_period.person_id
        and source.period = latest_period.period
)

select * from final
