"""Signed software releases (issue 14): bundle build, a TUF repository kept in the database
and served under /tuf/, per-county / per-station assignment. See central/releases/README.md."""
