"""The data model: SQLAlchemy 2.x typed models, one module per part of the product.

Importing this package registers every table with ``db.metadata``, which the migrations
(``flask db check``) and the mappers' string references between modules need.
"""

from satisfaction.db import accounts, alerts, catalogue, codes, counts, responses, units  # noqa: F401
