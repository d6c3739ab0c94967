"""The offices' module: sign-in, units, counters and their QR codes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

# The route modules register themselves on the blueprint.
from . import alerts, dossiers, qrcodes, quarantine, reports, views  # noqa: E402,F401
