"""Open-data publishing library: anonymization, public records, schemas and writers.

Deliberately free of Flask, SQLAlchemy and the portal package so that the same code
can publish datasets from a script, a notebook or the web application.
"""
