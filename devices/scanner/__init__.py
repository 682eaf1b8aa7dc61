"""QR and barcode scanning: decode pipeline, camera and serial/HID scanners, simulators.

Light imports only here: importing the package must not load OpenCV for code that just
wants the HID detector.
"""
