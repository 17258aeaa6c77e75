"""HTTP security that every response shares: headers, caching, the address behind a proxy and
where rate-limit counts live.

Headers come from Flask-Talisman, configured here in one place:

- ``Content-Security-Policy``: scripts, styles, images and fonts from this site only; no inline
  script or style attribute. The one ``<style>`` element left (the discharge print page, whose
  page size is chosen per request) carries the request's nonce (``csp_nonce()`` in templates).
  ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for older browsers) stops framing.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (``no-referrer`` on
  pages whose address is itself a secret: the portal link and the calendar feed), and
  ``Strict-Transport-Security`` in production (sent on HTTPS requests only).
- ``Cache-Control: no-store`` on every answer except static files: pages and API answers carry
  patient data, and a browser or proxy must not keep a copy.
"""

import importlib.util
import logging

from flask import Flask, has_request_context, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

talisman = Talisman()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
}
#: endpoints whose own address is a secret a referrer would leak
NO_REFERRER_ENDPOINTS = frozenset({"portal.link", "portal.feed"})
#: endpoints whose answers may be cached (no patient data in them)
CACHEABLE_ENDPOINTS = frozenset({"static"})


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        # Behind a TLS-terminating proxy: take the client's address and scheme from the
        # X-Forwarded-For/-Proto headers it sets (only that many hops are trusted).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # Registered before Talisman's hook so that it runs after it (Flask runs them in reverse)
    # and its per-page Referrer-Policy wins.
    app.after_request(privacy_headers)
    talisman.init_app(
        app,
        # The proxy redirects plain HTTP; the app answers health checks on either.
        force_https=False,
        strict_transport_security=app.config.get("HSTS_ENABLED", False),
        strict_transport_security_max_age=app.config.get("HSTS_SECONDS", 31_536_000),
        strict_transport_security_include_subdomains=False,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["style-src"],
        referrer_policy="same-origin",
        permissions_policy=PERMISSIONS_POLICY,
        # Talisman would otherwise force these cookie settings over config.py's.
        session_cookie_secure=False,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    check_rate_limit_storage(app)


def csp_nonce() -> str:
    """This request's CSP nonce; empty outside a request (a PDF rendered by a command)."""
    return getattr(request, "csp_nonce", "") if has_request_context() else ""


def privacy_headers(response):
    endpoint = request.endpoint or ""
    if endpoint not in CACHEABLE_ENDPOINTS:
        # An Expires header may stay (Bulk Data status answers say when files go with it):
        # no-store wins over it in every cache (RFC 9111, 5.3).
        response.headers["Cache-Control"] = "no-store"
    if endpoint in NO_REFERRER_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def check_rate_limit_storage(app: Flask) -> None:
    """Refuse a Redis store without its client; warn when production counts per process."""
    storage = app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith(("redis://", "rediss://", "redis+")) and (
        importlib.util.find_spec("redis") is None
    ):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI is {storage.split('://')[0]}://… but the redis client is "
            "not installed: pip install 'tracker[redis]'"
        )
    if app.config.get("ENV_NAME") == "production" and storage.startswith("memory://"):
        log.warning(
            "RATELIMIT_STORAGE_URI is memory://: sign-in and portal-link limits are counted "
            "per process, so each gunicorn worker allows the full limit. Set "
            "RATELIMIT_STORAGE_URI=redis://host:6379/0 (pip install 'tracker[redis]')."
        )
