"""Kivy UI of the kiosk. The only package that imports kivy; import screens.bootstrap first."""
