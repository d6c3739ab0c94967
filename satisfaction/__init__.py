"""The shared core of the platform.

``satisfaction.app`` builds the Flask application (factory, extensions, models, CLI). The
pure modules — ``questionnaires``, ``scoring`` and ``statistics`` — import neither Flask nor
the database, so the pages, the API, the exports, the CLI and the alerts share one formula.
"""
