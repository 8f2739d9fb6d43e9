"""Benchmarks (`make bench`): figures, never timed tests. They read ../shared/ when present."""
