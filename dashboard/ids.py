"""Component ids, in one place (layout, callbacks and browser tests all use these)."""

URL = "url"
LANG = "lang-store"
FRESHNESS = "freshness"
LANG_LINK = "lang-link"
FILTER_TOGGLE = "filter-toggle"
FILTER_COLLAPSE = "filter-collapse"

PRESET = "f-preset"
DATES = "f-dates"
COMPARE = "f-compare"
CATEGORIES = "f-categories"
CAT_ALL = "f-cat-all"
CAT_NONE = "f-cat-none"
CAT_GROUP = "f-cat-group"  # pattern id {"type": CAT_GROUP, "group": ...}
OUTCOMES = "f-outcomes"
STATUSES = "f-statuses"
SOURCES = "f-sources"
REGION = "f-region"
RESET = "f-reset"

LEVEL = "map-level"
METRIC = "map-metric"
MAP = "map"
GEOJSON = "map-geojson"
MAP_SCOPE = "map-scope"
LEGEND = "map-legend"
BREADCRUMB = "breadcrumb"
CRUMB = "crumb"  # pattern id {"type": CRUMB, "teryt": ...}

KPI_REPORTS = "kpi-reports"
KPI_RATE = "kpi-rate"
KPI_PENDING = "kpi-pending"
KPI_CHANGE = "kpi-change"
KPI_SPEED = "kpi-speed"
PERIOD_NOTE = "period-note"

CHART_CATEGORIES = "chart-categories"
CHART_TIMELINE = "chart-timeline"
CHART_RANKED = "chart-ranked"
CHART_SPEED = "chart-speed"
CHART_HEATMAP = "chart-heatmap"

TABLE = "district-table"
TABLE_COLUMNS = "district-table-columns"  # the rows, column by column (expanded in the browser)
TABLE_DOWNLOAD_BTN = "table-download-btn"
TABLE_DOWNLOAD = "table-download"
TABLE_TITLE = "table-title"

# the fixed public table of the sensitive (hidden) categories
SENSITIVE_TABLE = "sensitive-table"
SENSITIVE_CSV = "sensitive-csv"
SENSITIVE_NOTE = "sensitive-note"

# police view (built into the layout only for a logged-in police user)
ACCOUNT = "account-nav"
POLICE_POINTS = "police-points"
POLICE_POINTS_NOTE = "police-points-note"
POLICE_DETAIL = "police-detail"
POLICE_UNITS = "police-units"
POLICE_DOWNLOAD_BTN = "police-download-btn"
POLICE_DOWNLOAD = "police-download"
