"""Errors raised by the operations of every area; their message is shown to the user as is."""

from __future__ import annotations


class OperationError(Exception):
    """A business rule refused the operation. Nothing was written."""

    def __init__(self, message: str, where: str = "") -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class NotFoundError(OperationError):
    """The thing named does not exist."""


class TransitionError(OperationError):
    """A request's status cannot move that way."""


class ConflictError(OperationError):
    """Someone else changed the same thing first (e.g. two publications at once)."""
