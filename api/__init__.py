"""The read-only JSON API for the city's data portal (``/api/v1``), token-authenticated."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import views  # noqa: E402,F401  (routes register themselves on the blueprint)
