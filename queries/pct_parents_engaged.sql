-- pct_parents_engaged: share of episodes started in the period where parents or carers engaged.
-- kind: percentage
-- numerator: episodes started in the period with parents_engaged Y
-- denominator: episodes started in the period with parents_engaged recorded
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
        parents_engaged as numerator,
        parents_engaged_recorded as denominator,
        case when parents_engaged_recorded > 0 then 100.0 * parents_engaged / parents_engaged_recorded end as value
    from counts
)

select * from final
