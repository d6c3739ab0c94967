"""The offices' module: sign-in, units, counters and their QR codes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from . import alerts, reports, views  # noqa: E402,F401  (routes register themselves)
