"""The county-sized data set (``manage.py simulate_region``): divisions, staff, rosters, ledgers, complaints
and audit events written through bulk paths (COPY on PostgreSQL, large ``executemany`` batches elsewhere).

Each module builds one kind of row from a :class:`Plan` (the command's options and a seeded random source);
:func:`build_region` runs them in order and returns what it made. DESIGN §10 "Regions": the same shapes the
services write, not the services themselves (412 villages' review chains one by one would take hours).
"""

from .run import Plan, build_region

__all__ = ["Plan", "build_region"]
