"""FieldArchive central sync server (FastAPI + SQLAlchemy); never imports app.ui."""
