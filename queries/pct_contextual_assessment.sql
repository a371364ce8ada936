-- pct_contextual_assessment: share of episodes started in the period whose assessment recorded extra-familial risks and contexts.
-- kind: percentage
-- numerator: episodes started in the period with contextual_assessment Y
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
        contextual_assessment as numerator,
        started as denominator,
        case when started > 0 then 100.0 * contextual_assessment / started end as value
    from counts
)

select * from final
