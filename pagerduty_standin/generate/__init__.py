"""Deterministic account data: the same seed, sizes and `now` always give the same account.

Everything comes from `random.Random` streams derived from the seed, one per kind of object.
"""

from pagerduty_standin.generate.dataset import generate_dataset

__all__ = ["generate_dataset"]
