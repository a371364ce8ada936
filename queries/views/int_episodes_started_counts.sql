-- int_episodes_started_counts: per authority (and ALL) and period, the episodes started and how many of them
-- had each recorded feature; zero for a period with a return but no episode started.
-- The shared counts of the pct_* metrics over episodes started, which keep only their own numerator.
-- grain: authority_code (including ALL), period
-- inputs: scoped_periods, int_episodes_started
with periods as (
    select * from scoped_periods
),

started as (
    select * from int_episodes_started
),

counts as (
    select
        authority_code,
        period,
        count(*) as started,
        sum(case when contextual_assessment then 1 else 0 end) as contextual_assessment,
        sum(case when plan_type = 'CONTEXT_SAFETY' then 1 else 0 end) as context_safety_plan,
        sum(case when plan_type = 'CHILD_PROTECTION' then 1 else 0 end) as child_protection_plan,
        sum(case when relocated then 1 else 0 end) as relocated,
        sum(case when parents_engaged is not null then 1 else 0 end) as parents_engaged_recorded,
        sum(case when parents_engaged then 1 else 0 end) as parents_engaged
    from started
    group by authority_code, period
),

final as (
    select
        p.authority_code,
        p.period,
        cast(coalesce(c.started, 0) as bigint) as started,
        cast(coalesce(c.contextual_assessment, 0) as bigint) as contextual_assessment,
        cast(coalesce(c.context_safety_plan, 0) as bigint) as context_safety_plan,
        cast(coalesce(c.child_protection_plan, 0) as bigint) as child_protection_plan,
        cast(coalesce(c.relocated, 0) as bigint) as relocated,
        cast(coalesce(c.parents_engaged_recorded, 0) as bigint) as parents_engaged_recorded,
        cast(coalesce(c.parents_engaged, 0) as bigint) as parents_engaged
    from periods as p
    left join counts as c
        on c.authority_code = p.authority_code and c.period = p.period
)

select * from final
