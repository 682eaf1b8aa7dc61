"""One policy article, in the current language."""

from kivy.uix.screenmanager import Screen


class PolicyScreen(Screen):
    pass
