-- adoption_stage: the authority's stage of adoption in that period's return, as 1 (EXPLORING) to 4 (SUSTAINING).
-- kind: level
-- numerator: none
-- denominator: none
-- grain: authority_code, period (no programme-wide row); breakdown is the stage code
-- inputs: adoption
with adoption as (
    select * from adoption
),

final as (
    select
        authority_code,
        period,
        stage as breakdown,
        cast(null as bigint) as numerator,
        cast(null as bigint) as denominator,
        cast(case stage when 'EXPLORING' then 1 when 'PILOTING' then 2 when 'EMBEDDING' then 3 when 'SUSTAINING' then 4 end as double) as value
    from adoption
)

select * from final
