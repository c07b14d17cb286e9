"""Validation: pure functions, no Qt, no database. Shared by the client and the server."""

from app.validation.report import Issue, Report, Severity
from app.validation.validator import parse_field, validate_record, validate_values

__all__ = ["Issue", "Report", "Severity", "parse_field", "validate_record", "validate_values"]
