-- int_lac_missing_episodes: episodes in which a looked-after child went missing (MISSING = M) starting in their return's collection year, each once, under their authority and under ALL.
-- grain: authority_code (including ALL), period (collection year), person_id, start_date
-- inputs: lac_missing, scoped_years
with years as (
    select * from scoped_years where table_name = 'lac_missing' and authority_code <> 'ALL'
),

episodes as (
    -- a missing episode is its child and start: one exported twice counts once
    select distinct m.authority_code, m.period, m.person_id, m.start_date
    from lac_missing as m
    inner join years as y
        on y.authority_code = m.authority_code
        and y.period = m.period
    where m.missing_type = 'M'
        and m.start_date between y.period_start and y.period_end
),

final as (
    select * from episodes
    union all
    select * replace ('ALL' as authority_code) from episodes
)

select * from final
