"""The data store: the DuckDB file, its migrations, the hash-chained audit log, the
access rules every read and write passes, accounts and sites, backups.
Imports only ``schemas`` and ``anonymise``; every other room builds on this one.
"""
