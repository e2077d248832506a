"""Integration kit for city apps (My City and others): per-client API keys and webhooks.

- ``models``: the private client list (hashed keys) and the webhook outbox (one row per
  client and public event, with its attempts);
- ``keys``: create, revoke and recognise keys; the channel and the rate limit of a key;
- ``webhooks``: URL check, signature, the outbox listener and the delivery job's work;
- ``views``: the admins' pages (on the staff blueprint) and the clients' own API
  (``/api/v1/client…`` on the API blueprint).

Kept light on purpose: ``portal.models`` imports ``portal.integrations.models`` at its end.
"""
