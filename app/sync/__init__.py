"""Client sync: outbox push, change-feed pull.

The only package that imports requests; never imports app.ui or app.storage.
"""
