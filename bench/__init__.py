"""Reproducible benchmarks: each writes a JSON result and prints a one-line summary."""
