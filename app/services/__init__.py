"""Qt-free use cases: the one API the command line and the UI call (Anki's ``col.*`` facade role)."""
