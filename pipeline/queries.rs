//! The SQL of `queries/`, compiled into the binary.
//!
//! Kept apart from the query engine so that everything that only needs the
//! text (the data dictionary, tests) builds without it.

/// The metric queries, by id.
pub const QUERIES: &[(&str, &str)] = &[
    ("adoption_stage", include_str!("../queries/adoption_stage.sql")),
    ("contexts_assessed", include_str!("../queries/contexts_assessed.sql")),
    ("contexts_identified", include_str!("../queries/contexts_identified.sql")),
    ("contexts_with_intervention", include_str!("../queries/contexts_with_intervention.sql")),
    ("efh_factor_rate", include_str!("../queries/efh_factor_rate.sql")),
    ("episodes_started", include_str!("../queries/episodes_started.sql")),
    ("median_days_between_reviews", include_str!("../queries/median_days_between_reviews.sql")),
    ("panel_meetings", include_str!("../queries/panel_meetings.sql")),
    ("panel_meetings_contextual_lens", include_str!("../queries/panel_meetings_contextual_lens.sql")),
    ("pct_child_protection_plan", include_str!("../queries/pct_child_protection_plan.sql")),
    ("pct_context_safety_plan", include_str!("../queries/pct_context_safety_plan.sql")),
    ("pct_contexts_improved", include_str!("../queries/pct_contexts_improved.sql")),
    ("pct_contextual_assessment", include_str!("../queries/pct_contextual_assessment.sql")),
    ("pct_parents_engaged", include_str!("../queries/pct_parents_engaged.sql")),
    ("pct_relocated", include_str!("../queries/pct_relocated.sql")),
    ("pct_rereferral_12m", include_str!("../queries/pct_rereferral_12m.sql")),
    ("pct_risk_reduced", include_str!("../queries/pct_risk_reduced.sql")),
    ("policy_documents_cs", include_str!("../queries/policy_documents_cs.sql")),
    ("practitioners_trained", include_str!("../queries/practitioners_trained.sql")),
    ("young_people_reached", include_str!("../queries/young_people_reached.sql")),
];

/// The views the metric queries build on, in the order they are created.
pub const VIEWS: &[(&str, &str)] = &[
    ("young_people_latest", include_str!("../queries/views/young_people_latest.sql")),
    ("episodes_latest", include_str!("../queries/views/episodes_latest.sql")),
    ("reviews_latest", include_str!("../queries/views/reviews_latest.sql")),
    ("contexts_latest", include_str!("../queries/views/contexts_latest.sql")),
    ("panels_latest", include_str!("../queries/views/panels_latest.sql")),
    ("practice_latest", include_str!("../queries/views/practice_latest.sql")),
    ("scoped_periods", include_str!("../queries/views/scoped_periods.sql")),
    ("young_people_scoped", include_str!("../queries/views/young_people_scoped.sql")),
    ("episodes_scoped", include_str!("../queries/views/episodes_scoped.sql")),
    ("reviews_scoped", include_str!("../queries/views/reviews_scoped.sql")),
    ("contexts_scoped", include_str!("../queries/views/contexts_scoped.sql")),
    ("panels_scoped", include_str!("../queries/views/panels_scoped.sql")),
    ("practice_scoped", include_str!("../queries/views/practice_scoped.sql")),
];
