"""The counters' QR codes: issuing, rotating and revoking them (``codes``), what a scanned
code resolves to (``resolve``), the links they carry (``links``), the one QR generator
(``images``), print-ready posters (``posters``) and the pages' overview (``overview``)."""
