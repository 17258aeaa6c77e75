"""The on-duty tests use the portal's patients and the reminders' real SMS and SMTP servers."""

from tests.portal.conftest import invite, recovering  # noqa: F401  (fixtures)
from tests.reminders.conftest import sms_gateway, smtp_server  # noqa: F401  (fixtures)
