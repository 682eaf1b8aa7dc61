"""Separate consent before any personal data leaves the kiosk (PIPL art. 29)."""

from kivy.uix.screenmanager import Screen

CONSENT_VERSION = "2026-11"


class ApplyConsentScreen(Screen):
    pass
