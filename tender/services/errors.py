"""Typed errors the services raise; views turn each into a status and a plain message."""
from __future__ import annotations


class ServiceError(Exception):
    """Base: ``str()`` is a sentence a user can act on."""

    status = 400


class NotAuthorised(ServiceError):
    """The user's role does not allow this action."""

    status = 403


class NotFound(ServiceError):
    """The object does not exist (or the user may not know it exists)."""

    status = 404


class InvalidRequest(ServiceError):
    """The request makes no sense here (bad value, wrong stage, missing reason)."""

    status = 400


class Blocked(ServiceError):
    """Guards stopped a transition; ``reasons`` lists why."""

    status = 409

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


class ConcurrentChange(ServiceError):
    """Someone else changed the object since this user loaded it."""

    status = 409
