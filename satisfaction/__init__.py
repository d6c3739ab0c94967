"""The core of the platform, one package per capability (see ARCHITECTURE.md):

``indices`` (pure computation), ``db`` (the models), ``catalogue``, ``units``, ``counts``,
``accounts``, ``qrcodes``, ``intake``, ``alerts``, ``reporting``, ``demo``; and the shell:
``app`` (the factory), ``config``, ``extensions``, ``web`` (hooks, error pages), ``cli``.
"""
