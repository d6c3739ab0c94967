"""Staff accounts: who may see and do what (``access``), signing in (``auth``), API tokens
(``tokens``) and the accounts themselves (``users``)."""
