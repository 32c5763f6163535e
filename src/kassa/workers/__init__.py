"""Background workers: leases, and the loop that runs every worker task."""
