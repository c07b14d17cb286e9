"""Spreadsheet files: the only package that imports openpyxl."""
