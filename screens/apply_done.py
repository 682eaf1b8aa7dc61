"""The application is safely in the outbox: say so, with masked details and the reference."""

from kivy.uix.screenmanager import Screen


class ApplyDoneScreen(Screen):
    pass
