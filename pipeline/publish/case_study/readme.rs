//! The export's README and data dictionary.

use super::{CaseStudyOptions, DisclosureReport};

pub fn readme(options: &CaseStudyOptions, r: &DisclosureReport) -> String {
    let asked = match (options.from, options.to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, Some(t)) => format!("up to {t}"),
        (None, None) => "every quarter".into(),
    };
    let levels: Vec<String> = r.generalisation.iter().map(|(a, l)| format!("- {a}: {l}")).collect();
    format!(
        "# Case-study export: {code}\n\n\
Record-level data for one authority, for writing a case study. Names have been changed.\n\n\
Quarters asked for: {asked}. Dates covered: {range}.\n\n\
## What is here\n\n\
| file | one row per |\n|---|---|\n\
| `young_people.parquet` / `.csv` | young person |\n\
| `episodes.parquet` / `.csv` | episode of extra-familial harm |\n\
| `reviews.parquet` / `.csv` | review of an episode |\n\
| `contexts.parquet` / `.csv` | context (place, peer group, school, online space) |\n\
| `disclosure-report.json` | what was generalised and suppressed |\n\
| `data-dictionary.md` | every column |\n\
| `profile.md` / `.html` | the authority itself: its published figures by quarter under the case-study headings, with prompts |\n\
| `profile_metrics.csv` | published metric row the profile shows (disclosure-controlled, as in the warehouse) |\n\n\
Where the same young person, episode or context appeared in several quarterly returns, the latest return's row is used, \
whatever the range. A range holds the young people with an episode start or end, a review or a context dated in it, each \
with their whole history (every episode, review and context), and the other contexts dated in it. It is widened to \
whole years when dates are shown as years, and to every quarter when dates are left out, so that which young people \
an export of a range holds follows from the dates any other export shows of them.\n\n\
## How it was made safe\n\n\
- Every young person has a **display name**, drawn at random for this export (no two people in it share one). \
Notes and descriptions use those names. They are not real names, and another export of the same data gives other names.\n\
- Identifiers are local to this export (`YP-001`, `EP-001`, `CX-001`, `School 01`), numbered and the rows ordered by a \
random key drawn for this export and never stored: they do not link to the warehouse, to any other export or to any \
other dataset, and two exports of the same warehouse share no name, id or row order.\n\
- What can still be matched: {text_note}\n\
- **k-anonymity, k = {k}, over every quasi-identifier this export carries** (age, gender, ethnicity, postcode, \
school, disability, number of episodes and every date: each young person's episode, review and context dates \
count as one attribute). Every combination of their values is shared by at least {k} young people. The least \
generalisation that gets there (suppressing at most the allowed share of young people) is:\n\n{levels}\n\n\
  Left out entirely: {left_out}. {suppressed} of {total} young people (with their episodes and reviews) were \
suppressed; {generalised} records were generalised; the smallest class has {smallest} young people.\n\n\
Do not try to re-identify anyone, and do not publish counts below 6 from this data without the programme's disclosure rules.\n",
        code = options.authority_code,
        range = r.range,
        k = r.k,
        levels = levels.join("\n"),
        suppressed = r.young_people_suppressed,
        total = r.young_people_in,
        generalised = r.records_generalised,
        smallest = r.smallest_class,
        left_out = if r.left_out.is_empty() { "nothing".to_string() } else { r.left_out.join(", ") },
        text_note = if r.free_text.starts_with("left out") {
            "nothing: free text was left out of this export (`--notes none`).".to_string()
        } else {
            "notes were scrubbed at ingest and again at export, but their wording is the warehouse's, so someone \
holding the warehouse could find a note there: this export is for people without access to the warehouse. A young \
person is shown under their display name where the note names them in full or by id, or by first name on their own \
record; anyone else (an adult sharing a first name) stays `[NAME]`."
                .to_string()
        },
    )
}

/// The part of the data dictionary that describes an export.
pub const EXPORT_DICTIONARY: &str = "\
# Case-study export: data dictionary

Parquet columns are typed (text, whole numbers, yes/no as booleans, dates as dates: a month is its first day); \
the CSV writes yes/no as `Y`/`N` and dates as `YYYY-MM-DD`. Empty means not recorded. A column whose \
quasi-identifier was left out (see `disclosure-report.json`) is not there; dates are `*_month` (date), `*_quarter` \
(text, `2025Q1`) or `*_year` (number), as the report's `dates` level says.

## young_people
| column | meaning |
|---|---|
| `young_person` | export-local id (`YP-001`) |
| `display_name` | a made-up name, stable for the person; not their real name |
| `age_band` | age on the last day of their latest quarter, generalised as the disclosure report says |
| `gender` | M, F, X, U (or `*` if suppressed) |
| `ethnic_group` | DfE ethnicity code or five-group ethnicity (WHITE, MIXED, ASIAN, BLACK, OTHER, UNKNOWN), as the report says |
| `postcode` | postcode district or area, as the report says |
| `school` | export-local school label |
| `disability` | yes or no |\n| `episodes` or `episodes_band` | number of episodes, or `1` / `2+` |
| `notes` | scrubbed notes, with display names |

## episodes
| column | meaning |
|---|---|
| `episode` | export-local id (`EP-001`) |
| `young_person` | the young person (`YP-…`) |
| `start_*`, `end_*` | month, quarter or year; end empty while open |
| `referral_source`, `lead_service`, `plan_type` | codes as in the CS return |
| `harm_types`, `contexts_identified` | `;`-separated codes |
| `contextual_assessment`, `parents_engaged`, `relocated` | Y or N |
| `risk_at_start`, `risk_at_end` | LOW, MEDIUM, HIGH |
| `notes` | scrubbed notes, with display names |

## reviews
| column | meaning |
|---|---|
| `episode` | the episode (`EP-…`) |
| `review_*` | month, quarter or year |
| `risk_level` | LOW, MEDIUM, HIGH |
| `young_person_participated`, `parent_participated` | Y or N |

## contexts
| column | meaning |
|---|---|
| `context` | export-local id (`CX-001`) |
| `context_type` | LOCATION, PEER_GROUP, SCHOOL, ONLINE, OTHER |
| `description` | scrubbed description, with display names |
| `identified_*`, `assessment_*` | month, quarter or year |
| `intervention`, `outcome` | codes as in the CS return |
| `linked_young_people` | `;`-separated `YP-…` ids of young people in this export |
";
