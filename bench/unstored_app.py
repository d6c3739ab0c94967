"""The app with the survey's database work taken out: a benchmark baseline, never deployed.

``submit_bench.py`` serves this module (``--baseline``, on by default) beside the real app
to split the submit path's cost in two: everything a submission does before it reaches
the database (the form from the remembered page, the session, CSRF, parsing, validation,
the signed submission id) and the database work itself (the integrity checks that read
recent answers and the rate counters, then the transaction that stores the response, its
answers and its counts). Whatever ratio this baseline reaches is the most the real submit
path could reach on the same machine, however cheap its storing became.

The two steps are replaced at module level, as the intake service looks them up at call
time; the
routes, templates, hooks and configuration are the real app's.
"""

from satisfaction.app import create_app
from satisfaction.intake import client_checks as checks
from survey import services


def _no_checks(**_kwargs) -> checks.ClientChecks:
    return checks.ClientChecks()


def _store_nothing(**_kwargs) -> bool:
    return True


checks.check_client = _no_checks
services.store_response = _store_nothing

app = create_app()
