"""Generic building blocks with no domain knowledge: money, ids, errors, time, JSON."""
