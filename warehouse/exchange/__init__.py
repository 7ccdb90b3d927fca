"""Data that arrives as files: signed site bundles (export and import) and legacy
spreadsheets. Imports ``store``, and ``export`` for its file formats and column labels.
"""
