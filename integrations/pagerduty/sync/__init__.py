"""Syncing a PagerDuty connection into the data library.

``run`` takes the connection's lease, records the run and executes the ``steps`` in order;
``mapping`` turns PagerDuty JSON into field values, ``upsert`` writes one page at a time,
``lease`` keeps one sync per connection, ``readahead`` overlaps fetching and storing.
"""
