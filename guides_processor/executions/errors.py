"""The errors of the services: each says what went wrong in a sentence, and maps to an API error."""


class ServiceError(Exception):
    """A request that cannot be carried out. ``code`` and ``status`` map it to an API error."""

    code = "INVALID_INPUT"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    code = "INVALID_INPUT"
    status = 400


class NotFound(ServiceError):
    code = "NOT_FOUND"
    status = 404


class Conflict(ServiceError):
    code = "CONFLICT"
    status = 409
