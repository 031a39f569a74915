"""The columns of every table the project serves, in their order: the API's JSON and CSV, the
dashboard's CSV downloads and the frames the queries return all take them from here."""

COUNTS = ["reports", "confirmed", "unconfirmed", "pending", "resolved"]
RATE = ["confirmation_rate", "ci_low", "ci_high"]

# /api/v1/districts, one row per district of a level
DISTRICT = ["teryt", "name", "population", *COUNTS, *RATE, "reports_per_10k"]
# with a comparison period: the dashboard's district table and its CSV
DISTRICT_TABLE = DISTRICT + ["reports_previous", "change", "change_pct", "top_category", "median_days_to_verification"]
# /api/v1/categories
CATEGORY = ["code", "label_pl", "label_en", "group", *COUNTS, *RATE]
# /api/v1/timeseries
TIMESERIES = ["period", *COUNTS, *RATE]
# /api/v1/sensitive: the fixed table of the hidden categories
SENSITIVE = ["teryt", "name", "population", "quarter", "quarter_start", "quarter_end", "category", "label_pl",
             "label_en", "reports", "small", "reports_per_10k", "confirmed", "unconfirmed", "pending",
             "parts_withheld", "confirmation_rate", "ci_low", "ci_high"]
# police only: report-level rows (with descriptions) and the per-unit workload
POLICE_REPORT = ["objectid", "created_at", "modified_at", "category", "status", "outcome", "gmina", "unit",
                 "source", "lon", "lat", "opis"]
POLICE_WORKLOAD = ["unit", "reports", "pending", "pending_median_days", "pending_max_days",
                   "read_2d_share", "read_2d_n", "verified_5d_share", "verified_5d_n"]
