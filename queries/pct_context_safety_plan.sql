-- pct_context_safety_plan: share of episodes started in the period with a context safety plan.
-- kind: percentage
-- numerator: episodes started in the period with plan_type CONTEXT_SAFETY
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
        context_safety_plan as numerator,
        started as denominator,
        case when started > 0 then 100.0 * context_safety_plan / started end as value
    from counts
)

select * from final
