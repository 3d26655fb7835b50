"""Webhooks (``/api/v1/webhooks``): events of one's scope, signed per Standard Webhooks,
delivered in order per aggregate with retries, to receivers checked against SSRF."""
