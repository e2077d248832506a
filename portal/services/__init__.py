"""Every write use case, one transaction (one commit) each.

Services never see ``request``: views parse input with a schema and pass plain values.
Failures raise ``portal.services.core.ServiceError`` subclasses and leave the database
unchanged.
"""
