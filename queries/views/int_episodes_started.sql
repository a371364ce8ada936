-- int_episodes_started: every episode (latest row) with the period, of its own authority and of ALL, that it started in.
-- The shared base of every metric over episodes started in the period.
-- grain: authority_code (including ALL), period, episode_id
-- inputs: scoped_periods, episodes_scoped
with periods as (
    select * from scoped_periods
),

episodes as (
    select * from episodes_scoped
),

final as (
    select
        p.authority_code,
        p.period,
        e.episode_id,
        e.person_id,
        e.start_date,
        e.harm_types,
        e.contextual_assessment,
        e.plan_type,
        e.relocated,
        e.parents_engaged
    from periods as p
    inner join episodes as e
        on e.authority_code = p.authority_code
        and e.start_date between p.period_start and p.period_end
)

select * from final
