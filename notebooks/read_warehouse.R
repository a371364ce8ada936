# Reading an rni warehouse from R with the arrow package.
#
# UNTESTED: R's arrow package is not in the package registries rni's CI can
# reach (Debian 12 has R but no r-cran-arrow), so this script has never been
# run by the project's tests. It uses only documented arrow and dplyr calls;
# please report anything that does not work.
#
#   install.packages(c("arrow", "dplyr"))
#   Rscript notebooks/read_warehouse.R rni-demo/warehouse

library(arrow)
library(dplyr)

args <- commandArgs(trailingOnly = TRUE)
warehouse <- if (length(args) > 0) args[[1]] else "rni-demo/warehouse"

# Published, disclosure-controlled figures: one row per metric, area, quarter and breakdown.
metrics <- read_parquet(file.path(warehouse, "metrics", "metric_values.parquet"))
metrics |>
  filter(metric == "pct_contextual_assessment", status == "") |>
  arrange(authority_code, period) |>
  print(n = 20)

# Pseudonymised record-level tables are hive-partitioned (authority_code=…/period=…).
episodes <- open_dataset(file.path(warehouse, "tables", "episodes"), format = "parquet")
episodes |>
  group_by(authority_code, period) |>
  summarise(episode_rows = n(), young_people = n_distinct(person_id)) |>
  collect() |>
  print()

# The columns and their types (descriptions: data-dictionary.md, or the Arrow field
# metadata `description` and `treatment` that pyarrow and polars show).
print(episodes$schema)
