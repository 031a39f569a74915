"""Reading nightly extracts (extract) and applying them to the store (run)."""
