"""Component ids, in one place (layout, callbacks and browser tests all use these)."""

URL = "url"
LANG = "lang-store"
FRESHNESS = "freshness"
LANG_LINK = "lang-link"
PAGE = "page"  # everything in the page's language: re-rendered in place by a language switch (callbacks.language)
TITLE = "page-title"  # the page's <title> in its language (the browser's title follows it)
LANG_WANTED = "lang-wanted"  # the URL's language when back / forward lands on another one
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
TABLE_ROW_RULES = "district-table-row-rules"  # the grid's rowClassRules (the chosen district's row)
TABLE_DOWNLOAD_BTN = "table-download-btn"
TABLE_DOWNLOAD = "table-download"
TABLE_CSV_FORMAT = "table-csv-format"  # spreadsheet (sheet) or the API's CSV (data)
TABLE_TITLE = "table-title"

# the fixed public table of the sensitive (hidden) categories
SENSITIVE_TABLE = "sensitive-table"
SENSITIVE_ROWS = "sensitive-rows"  # the table's rows, handed to its grid once created (dashboard.lazy)
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

# issue 12C: a message under the date inputs, the summary sentence, the share button
DATES_MSG = "f-dates-msg"
SUMMARY = "view-summary"
SHARE = "share-btn"
SHARE_MSG = "share-msg"

# accessibility and the phone layout (issue 12 B)
SKIP_LINK = "skip-link"
RESULTS = "results"  # the <main> landmark the skip link and "show results" move focus to
FILTER_CLOSE = "filter-close"
SHOW_RESULTS = "show-results"
CHIPS = "filter-chips"
CHART_TABLE_SUFFIX = "-table"  # each chart's "show as table" alternative: CHART_X + CHART_TABLE_SUFFIX
