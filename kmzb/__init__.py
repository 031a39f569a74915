"""KMZB analytics: the data layer (extract reading, store, queries, geography, demo data)."""

__version__ = "0.1.0"
