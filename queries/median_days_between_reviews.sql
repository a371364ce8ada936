-- median_days_between_reviews: median gap in days between consecutive review dates of one episode,
-- over the gaps whose later review falls in the period.
-- kind: value
-- numerator: none
-- denominator: number of gaps the median is taken over (used for disclosure control)
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, reviews_latest
with periods as (
    select * from scoped_periods
),

reviews as (
    -- gaps are taken per authority, then copied under ALL (ids are per authority, so the
    -- programme-wide gaps are the same gaps): half the rows to sort than over reviews_scoped
    -- one row per episode and review date: two records of one day are one review day
    select distinct authority_code, episode_id, review_date from reviews_latest
),

gaps as (
    select
        authority_code,
        episode_id,
        review_date,
        cast(review_date as bigint)
            - lag(cast(review_date as bigint)) over (partition by authority_code, episode_id order by review_date) as gap_days
    from reviews
),

gaps_scoped as (
    select * from gaps
    union all
    select * replace ('ALL' as authority_code) from gaps
),

medians as (
    select p.authority_code, p.period, median(g.gap_days) as median_days, count(*) as gaps
    from periods as p
    inner join gaps_scoped as g
        on g.authority_code = p.authority_code
        and g.review_date between p.period_start and p.period_end
    where g.gap_days is not null
    group by p.authority_code, p.period
),

final as (
    select
        p.authority_code,
        p.period,
        '' as breakdown,
        cast(null as bigint) as numerator,
        cast(coalesce(m.gaps, 0) as bigint) as denominator,
        cast(m.median_days as double) as value
    from periods as p
    left join medians as m
        on m.authority_code = p.authority_code and m.period = p.period
)

select * from final
