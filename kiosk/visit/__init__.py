"""The visit, headless: kiosk.visit.core holds the rules, kiosk.visit.ports what they are given."""

from kiosk.visit.core import CONSENT_VERSION, EVENTS, N_, Application, Step, Visit

__all__ = ["CONSENT_VERSION", "EVENTS", "N_", "Application", "Step", "Visit"]
