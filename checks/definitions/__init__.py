"""Check definitions, one module per area (incidents now; access management later).

Each module builds `Check` objects (see `base.py`); `checks.registry.CHECKS` lists them.
"""
