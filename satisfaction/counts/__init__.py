"""The per-day and per-month answer counts: kept up to date in the transaction that stores
(or releases) each response (``updates``), and read by the reports and the alerts
(``tallies``), so their cost follows units × days × items, not the number of responses."""
