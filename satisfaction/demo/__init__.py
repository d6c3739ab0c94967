"""Demonstration data: the District 1 demo and synthetic responses (``flask seed``)."""
