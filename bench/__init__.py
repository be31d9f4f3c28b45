"""Benchmarks against realistic data volumes; each module has a `main(argv)`."""
