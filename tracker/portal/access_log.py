"""Keep personal link tokens and calendar feed keys out of the server's access log.

The patient's link (``/portal/i/<token>``) and the feed (``/portal/feed/<key>.ics``) carry
their secret in the path, and web servers log paths. This filter, on the development server's
(``werkzeug``) and gunicorn's (``gunicorn.access``) request loggers, writes ``[redacted]`` in
its place. Another server or proxy in front must be told not to log those paths.
"""

import logging
import re

SECRET_PATH = re.compile(r"(/portal/(?:i|feed)/)[A-Za-z0-9_-]{16,}")
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class RedactPortalSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PATH.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install() -> None:
    """Add the filter to the access loggers (once, however many apps are made)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPortalSecrets) for f in logger.filters):
            logger.addFilter(RedactPortalSecrets())
