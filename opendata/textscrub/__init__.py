"""Building blocks of `opendata.anonymize`: rules, name detection, truecasing, gazetteers.

The public entry points live in `opendata.anonymize`; these modules are internal.
"""
