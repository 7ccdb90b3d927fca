"""Data review: queries on a field, soft checks, source-data verification, sign-off.

Monitors and coordinators raise queries and set verification marks; site users answer
their centre's queries (with text, a correction, or both); investigators sign casebooks.
Every step is checked against the session's role and site and written to the audit log.
"""
