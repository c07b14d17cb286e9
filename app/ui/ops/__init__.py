"""Named operations: the only way the UI reaches stored data (Anki's ``aqt.operations``).

Each builder returns a ``DbOp`` (the DB thread) or a ``NetOp`` (the network pool) over one service
function of ``app.services``; the caller adds ``.success``/``.failure`` and runs it. An operation that
changes stored data carries its change set (``.changes``), announced once when it finishes, from which
the list, the form, the status bar and the review tab refresh. No module of ``app.ui`` touches the
session's archive or profile (tests/unit/test_architecture_ui.py).
"""
