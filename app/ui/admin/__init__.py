"""The administration area of the desktop app (admins only): app/ui/admin/window.py."""
