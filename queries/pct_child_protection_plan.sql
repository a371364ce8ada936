-- pct_child_protection_plan: share of episodes started in the period on a child protection plan.
-- kind: percentage
-- numerator: episodes started in the period with plan_type CHILD_PROTECTION
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
        child_protection_plan as numerator,
        started as denominator,
        case when started > 0 then 100.0 * child_protection_plan / started end as value
    from counts
)

select * from final
