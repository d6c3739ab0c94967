"""The reports a reviewing office reads: an index for a unit and a period rolled up over the
units below (``reports``), how its answers relate to the dossiers handled (``coverage``),
the exports (``exports``) and the server-drawn charts (``charts``)."""
