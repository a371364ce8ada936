-- int_cin_efh_assessments: the extra-familial harm factors recorded at CIN assessments authorised in their return's collection year, one row per assessment and factor.
-- grain: authority_code, period (collection year), person_id, referral_date, start_date, authorisation_date, factor
-- inputs: cin_assessments, reporting_years, cin_efh_factors
with years as (
    select * from reporting_years
),

assessments as (
    -- an assessment is its child, referral, start and authorisation: one sent twice counts once
    select a.authority_code, a.period, a.person_id, a.referral_date, a.start_date, a.authorisation_date, a.factors
    from cin_assessments as a
    inner join years as y
        on a.authority_code = y.authority_code
        and a.period = y.period
    where a.authorisation_date between y.period_start and y.period_end
),

codes as (
    select authority_code, period, person_id, referral_date, start_date, authorisation_date, unnest(factors) as code
    from assessments
),

final as (
    select distinct c.authority_code, c.period, c.person_id, c.referral_date, c.start_date, c.authorisation_date, f.factor
    from codes as c
    inner join cin_efh_factors as f
        on c.code = f.code
)

select * from final
