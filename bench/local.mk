# bench/: load generator and comparisons.
