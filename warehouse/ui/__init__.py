"""The Streamlit side of caseguard: login, layout helpers and one script per page.

This package is the only part of ``warehouse`` that imports streamlit (a test
checks it); pages hold widgets and state and call the warehouse functions, which
enforce roles and sites themselves.
"""
