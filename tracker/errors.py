"""Domain errors raised by services; the web, API and CLI layers turn them into responses."""


class DomainError(Exception):
    """A rule was broken. ``errors`` maps field names to messages where a field is to blame."""

    status = 409

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationFailed(DomainError):
    status = 422

    @classmethod
    def on(cls, field: str, message: str) -> "ValidationFailed":
        return cls(message, {field: [message]})


class Conflict(DomainError):
    status = 409

    @classmethod
    def on(cls, field: str, message: str) -> "Conflict":
        return cls(message, {field: [message]})


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class FieldErrors:
    """Collects messages per field, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self, message: str = "Some fields are not valid.") -> None:
        if self.errors:
            raise ValidationFailed(message, self.errors)
