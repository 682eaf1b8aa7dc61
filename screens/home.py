"""Home: the three ways in (ID card, QR code, browse) and policies."""

from kivy.uix.screenmanager import Screen


class HomeScreen(Screen):
    pass
