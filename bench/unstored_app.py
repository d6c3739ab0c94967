"""The app with the survey's database work taken out: a benchmark baseline, never deployed.

``submit_bench.py`` serves this module (``--baseline``, on by default) beside the real app
to split the submit path's cost in two: everything a submission does before it reaches
the database (the form from the remembered page, the session, CSRF, parsing, validation,
the signed submission id) and the database work itself (the integrity checks that read
recent answers and the rate counters, then the transaction that stores the response, its
answers and its counts). Whatever ratio this baseline reaches is the most the real submit
path could reach on the same machine, however cheap its storing became.

The two steps are replaced in the intake service's module, where ``submit`` looks them up at
each call; the routes, templates, hooks and configuration are the real app's.
"""

from satisfaction.app import create_app
from satisfaction.intake import client_checks, submit


def _no_checks(*_args, **_kwargs) -> client_checks.ClientChecks:
    return client_checks.ClientChecks()


def _store_nothing(**_kwargs) -> bool:
    return True


# ``intake.submit.submit`` looks these names up in its own module at each call.
submit.check_client = _no_checks
submit.store_response = _store_nothing

app = create_app()
