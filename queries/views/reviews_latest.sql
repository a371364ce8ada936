-- reviews_latest: one row per review (episode and date) per authority, from the latest return that holds it.
-- grain: authority_code, episode_id, review_date
-- inputs: reviews
with source as (
    select * from reviews
),

ranked as (
    select
        *,
        row_number() over (partition by authority_code, episode_id, review_date order by period desc) as recency
    from source
),

final as (
    select * from ranked where recency = 1
)

select * from final
