"""The public survey: a citizen scans the counter's QR code and answers on a phone."""

from flask import Blueprint

bp = Blueprint("survey", __name__, template_folder="templates")

from . import views  # noqa: E402,F401  (routes register themselves on the blueprint)
