"""Request context (client IP) that audit events pick up without threading it through."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("audit_current_ip", default=None)
