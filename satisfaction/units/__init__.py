"""The organisation's units (district, offices, wards) as a tree with history."""
