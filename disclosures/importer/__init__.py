"""Roster import: read what offices produce, validate row by row, preview, then import all or nothing.

``readers`` opens xlsx/xls/ods/csv into rows of Python values, ``headers`` finds the header
row and maps columns through the synonym table, ``cells`` normalizes one cell, ``validate``
turns rows into typed entries or row-numbered errors (``rows`` classifies each row, ``fields``
parses a household's cells, ``warnings`` says what to check), and ``services`` holds the
preview/confirm transitions of an ``ImportJob``.
"""

from .errors import ImportFileError

__all__ = ["ImportFileError"]
