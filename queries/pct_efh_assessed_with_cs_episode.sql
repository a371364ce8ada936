-- pct_efh_assessed_with_cs_episode: of the children with an extra-familial harm factor at a CIN assessment authorised in the collection year, the share with a contextual safeguarding episode starting within 90 days of that assessment.
-- kind: percentage
-- numerator: those children with a CS-return episode (same authority, same person) whose start date is at most 90 days before or after the authorisation date of one of their EFH assessments
-- denominator: distinct children with at least one EFH factor at an assessment authorised between 1 April and 31 March of the collection year (CIN census)
-- grain: authority_code (and ALL), period (collection year: 2025 = April 2024 to March 2025); value = 100 × numerator / denominator
-- inputs: int_cin_efh_assessments, episodes_latest, scoped_years
with scoped as (
    select authority_code, period from scoped_years where table_name = 'cin_assessments'
),

assessed as (
    select distinct authority_code, period, person_id, authorisation_date
    from int_cin_efh_assessments
),

episodes as (
    select authority_code, person_id, start_date from episodes_latest
),

responded as (
    select distinct a.authority_code, a.period, a.person_id
    from assessed as a
    inner join episodes as e
        on e.authority_code = a.authority_code
        and e.person_id = a.person_id
    where abs(cast(e.start_date as bigint) - cast(a.authorisation_date as bigint)) <= 90
),

children as (
    select authority_code, period, person_id, max(responded) as responded
    from (
        select authority_code, period, person_id, 0 as responded from assessed
        union all
        select authority_code, period, person_id, 1 as responded from responded
    ) as flagged
    group by authority_code, period, person_id
),

scoped_children as (
    select * from children
    union all
    select * replace ('ALL' as authority_code) from children
),

counts as (
    select authority_code, period, sum(responded) as responded, count(*) as assessed
    from scoped_children
    group by authority_code, period
),

final as (
    select
        s.authority_code,
        s.period,
        '' as breakdown,
        coalesce(c.responded, 0) as numerator,
        coalesce(c.assessed, 0) as denominator,
        case when c.assessed > 0 then 100.0 * c.responded / c.assessed end as value
    from scoped as s
    left join counts as c
        on c.authority_code = s.authority_code
        and c.period = s.period
)

select * from final
