"""The indices as pure computation: questionnaire definitions, scoring, statistics, periods.

Nothing here imports Flask, SQLAlchemy or any other part of the app (``make lint`` checks
it with import-linter), so the pages, the API, the exports, the CLI and the alerts compute
every figure with the same functions, and the tests compare them with independent
references.
"""
