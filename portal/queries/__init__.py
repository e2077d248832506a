"""Every SELECT used by pages, API and exports.

Public queries select named public columns only: never ``appeal_private``, ``contacts``
or a ``private_*`` column (tests/portal/test_privacy_boundaries.py checks the SQL).
"""
