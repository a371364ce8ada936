-- median_days_between_reviews: median gap in days between consecutive review dates of one episode,
-- over the gaps whose later review falls in the period.
-- kind: value
-- numerator: none
-- denominator: number of gaps the median is taken over (used for disclosure control)
-- grain: authority_code (and ALL), period
-- inputs: scoped_periods, reviews_latest, returned_tables
with periods as (
    select * from scoped_periods
),

reviews as (
    -- gaps are taken per authority, then copied under ALL (ids are per authority, so the
    -- programme-wide gaps are the same gaps); one row per episode and review date: two
    -- records of one day are one review day
    select distinct authority_code, episode_id, review_date from reviews_latest
),

gaps as (
    -- each review date's gap to the one before it, by a join within the episode (an episode
    -- has a handful of reviews) rather than lag() over a sort of every review
    select
        r.authority_code,
        r.episode_id,
        r.review_date,
        cast(r.review_date as bigint) - cast(max(earlier.review_date) as bigint) as gap_days
    from reviews as r
    left join reviews as earlier
        on earlier.authority_code = r.authority_code
        and earlier.episode_id = r.episode_id
        and earlier.review_date < r.review_date
    group by r.authority_code, r.episode_id, r.review_date
),

gaps_scoped as (
    -- programme-wide gaps only from the authorities that sent reviews for the quarter
    select * from gaps
    union all
    select 'ALL' as authority_code, g.episode_id, g.review_date, g.gap_days
    from gaps as g
    inner join returned_tables as s
        on s.table_name = 'reviews'
        and s.authority_code = g.authority_code
        and g.review_date between s.period_start and s.period_end
),

in_period as (
    select p.authority_code, p.period, g.gap_days
    from periods as p
    inner join gaps_scoped as g
        on g.authority_code = p.authority_code
        and g.review_date between p.period_start and p.period_end
    where g.gap_days is not null
),

-- the exact median from a histogram of whole-day gaps: a few hundred rows per period to order,
-- not every gap (median() over millions of gaps is the slowest step of the whole build)
histogram as (
    select authority_code, period, gap_days, count(*) as n
    from in_period
    group by authority_code, period, gap_days
),

cumulative as (
    select
        authority_code,
        period,
        gap_days,
        sum(n) over (
            partition by authority_code, period order by gap_days rows between unbounded preceding and current row
        ) as up_to,
        sum(n) over (partition by authority_code, period) as gaps
    from histogram
),

medians as (
    -- the middle gap, or the mean of the two middle gaps when their number is even (floor():
    -- the positions are whole, whether the engine divides integers as integers or not)
    select
        authority_code,
        period,
        gaps,
        (
            min(case when up_to >= floor((gaps + 1) / 2) then gap_days end)
            + min(case when up_to >= floor(gaps / 2) + 1 then gap_days end)
        ) / 2.0 as median_days
    from cumulative
    group by authority_code, period, gaps
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
