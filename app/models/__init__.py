"""Plain, frozen data: the field catalogue and the records. No Qt, no SQLAlchemy, no requests."""
