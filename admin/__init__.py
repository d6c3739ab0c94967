"""The offices' module: reports and exports, alerts and remedies, paper forms and dossier
lists, quarantine review, units and their QR codes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

# The route modules register themselves on the blueprint.
from .views import (  # noqa: E402,F401
    account,
    alerts,
    auth,
    home,
    imports,
    inspection,
    qrcodes,
    quarantine,
    reports,
    users,
)
