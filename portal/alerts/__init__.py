"""E-mail alerts: subscribe without an account to an appeal, a district, a category, a
service or an area; confirmed by a token link; immediate or daily; one-click unsubscribe.

- ``models``: the private subscription list, the outbox of public events and the
  deliveries (one per subscription and event, marked sent once handed to the mail server);
- ``services``: subscribe, confirm, unsubscribe (one transaction each);
- ``outbox``: status events are noted in the outbox in the transaction that records them;
- ``delivery``: the jobs' work — fan events out to subscriptions, send mails and digests;
- ``views``: the blueprint (``bp``) with the forms and the token pages.

Kept light on purpose: ``portal.models`` imports ``portal.alerts.models`` at its end.
"""
