"""Signing in, the sync status in the status bar, and resolving conflicts."""
