-- reviews_latest: the reviews (episode and date) per authority, from the latest return that holds each.
-- grain: authority_code, episode_id, review_date
-- inputs: reviews
with source as (
    select * from reviews
),

latest_period as (
    -- a grouping and a hash join need no sort, unlike row_number() over the whole table;
    -- two rows for one episode and date in that return are both kept (they cannot be told apart)
    select authority_code, episode_id, review_date, max(period) as period
    from source
    group by authority_code, episode_id, review_date
),

final as (
    select source.*
    -- the narrow grouping is the join's build side (held in memory), the wide table streams past it
    from latest_period
    inner join source
        on source.authority_code = latest_period.authority_code
        and source.episode_id = latest_period.episode_id
        and source.review_date = latest_period.review_date
        and source.period = latest_period.period
)

select * from final
