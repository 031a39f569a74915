"""Queries on a store snapshot, the public rules, and the one data gateway every view reads through."""
