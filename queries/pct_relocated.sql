-- pct_relocated: share of episodes started in the period where the young person was moved out of area as a safety response.
-- kind: percentage
-- numerator: episodes started in the period with relocated Y
-- denominator: episodes started in the period
-- grain: authority_code (and ALL), period; value = 100 × numerator / denominator
-- inputs: int_episodes_started_counts
with counts as (
    select * from int_episodes_started_counts
),

final as (
    select
        authority_code,
        period,
        '' as breakdown,
        relocated as numerator,
        started as denominator,
        case when started > 0 then 100.0 * relocated / started end as value
    from counts
)

select * from final
