"""Low-score alerts: the rules (``rules``), the check that opens and clears alerts
(``check``), telling people (``notify``), and the alerts as offices work from them
(``inbox``)."""
