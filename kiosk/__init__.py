"""Headless core of the gig-station kiosk. Never imports kivy."""

__version__ = "0.2.0"
