"""The columns of every table the project serves, in their order: the API's JSON and CSV, the
dashboard's CSV downloads and the frames the queries return all take them from here."""

COUNTS = ["reports", "confirmed", "unconfirmed", "pending", "resolved"]
RATE = ["confirmation_rate", "ci_low", "ci_high"]

# the counts of one row per district of a level (kmzb.query.queries.district_counts)
DISTRICT_COUNTS = ["teryt", "name", "population", *COUNTS, *RATE, "reports_per_10k"]
# small-area statistics of each district (kmzb.query.smallarea)
SMALL_AREA = ["reports_per_10k_smoothed", "unstable", "hotspot", "hotspot_p"]
# /api/v1/districts, one row per district of a level
DISTRICT = DISTRICT_COUNTS + SMALL_AREA
# with a comparison period: the dashboard's district table and its CSV
DISTRICT_TABLE = DISTRICT + ["reports_previous", "change", "change_pct", "top_category", "median_days_to_verification"]
# /api/v1/changes: the significant changes per district and category (kmzb.query.changes)
CHANGES = ["teryt", "name", "category", "label_pl", "label_en", "reports_before", "reports_after",
           "rate_ratio", "rr_low", "rr_high", "p_value", "p_adjusted", "direction"]
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
