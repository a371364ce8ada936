-- episodes_latest: one row per episode_id per authority, from the latest return that holds it.
-- grain: authority_code, episode_id
-- inputs: episodes
with source as (
    select * from episodes
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, episode_id order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
