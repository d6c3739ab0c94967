"""The web parts every blueprint shares: request hooks, error pages, and the pages that
belong to no domain (health check, language, home)."""
