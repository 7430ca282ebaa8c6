"""The admin login: password hashes, sessions, login throttling and proxy trust.

Everything here is plain functions over the bridge's SQLite file and values passed in;
the HTTP side (cookies, forms, CSRF, pages) is :mod:`bridge.web.admin`. Tables live in
their own migration set (:mod:`bridge.access.migrations`), so every gunicorn worker sees
the same sessions and the same failed-login counts.
"""
