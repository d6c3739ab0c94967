"""Every answer that comes in: a citizen's form (``submit``, through the integrity checks
and ``storing``), paper forms and the dossier list (CSV ``imports``), and the quarantine
where suspicious answers wait for a reviewer."""
