"""Printing: progress, then the slip (a preview image in the demo) or what went wrong."""

from kivy.uix.screenmanager import Screen


class PrintingScreen(Screen):
    pass
