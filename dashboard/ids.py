"""Component ids, in one place."""

URL = "url"
FRESHNESS = "freshness"
