"""The catalogue as stored data: questionnaire versions, the indices (owner office, target,
scoring method), procedure fields. ``loading`` reads the data files in ``satisfaction/data``
into the database; ``lookup`` is how the rest of the product reads them back."""
