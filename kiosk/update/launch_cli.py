"""`gig-kiosk launch`: see kiosk.update.cli.run_launch."""

from kiosk.update.cli import configure_launch as configure
from kiosk.update.cli import run_launch as run

__all__ = ["configure", "run"]
