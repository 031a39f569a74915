"""Dashboard layout, figures and texts (no I/O, no data access)."""
