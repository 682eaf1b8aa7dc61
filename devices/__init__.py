"""Peripherals: one subpackage per device class (protocol, driver, simulator). Never imports kivy."""
