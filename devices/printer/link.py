"""The wire to the printer: python-escpos connections (USB, serial, network, file) from
PrinterSettings, with chunked writes and reads that time out instead of blocking. Each kind is
one small `Connection` class, chosen from `CONNECTIONS` by `settings.connection`.

python-escpos reads with the connection's own timeout (60 s on a socket, none on USB); a
status poll needs a short one, so `read()` sets it per call on the underlying object.

USB endpoints are read from the device descriptor (first bulk OUT and IN endpoint of the
printer interface) unless the station sets them: public code for 0416:5011 alone uses
0x81/0x03 and 0x81/0x01, and pyusb raises ValueError on a wrong one. A printer without an IN
endpoint is write-only, like a file. Every error of the open, write and read paths becomes
DeviceGone with a one-line message, so the print thread reports it and reconnects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from escpos.exceptions import DeviceNotFoundError

from devices.base import DeviceGone
from devices.printer.escpos_loader import escpos_printer
from kiosk.settings import PrinterSettings

DEFAULT_USB_ID = (0x0416, 0x5011)
CHUNK = 4096  # long USB bulk writes time out on some printers (Errno 110): send in pieces


def bulk_endpoints(interfaces: Iterable[Any]) -> tuple[int | None, int | None]:
    """(IN, OUT) bulk endpoint addresses from a USB configuration's interfaces, preferring the
    printer class (7); None where there is none."""
    interfaces = sorted(interfaces, key=lambda i: getattr(i, "bInterfaceClass", 0) != 7)
    for intf in interfaces:
        ins = [e.bEndpointAddress for e in intf if e.bmAttributes & 0x03 == 0x02 and e.bEndpointAddress & 0x80]
        outs = [e.bEndpointAddress for e in intf if e.bmAttributes & 0x03 == 0x02 and not e.bEndpointAddress & 0x80]
        if outs:
            return (ins[0] if ins else None), outs[0]
    return None, None


class Connection:
    """One kind of connection: how python-escpos makes it, how it is described, how a reply is
    read from it. `Link` picks the class from `CONNECTIONS` by `settings.connection`."""

    can_read = True

    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings

    @property
    def describe(self) -> str:
        raise NotImplementedError

    def create(self, escpos: Any) -> Any:
        """The python-escpos printer object, not opened yet."""
        raise NotImplementedError

    def opened(self, printer: Any) -> None:
        """Checks and settings once the device is open (raise DeviceGone to refuse it)."""

    def read(self, device: Any, timeout: float) -> bytes:
        """Whatever the printer sent within `timeout` seconds (b"" if nothing)."""
        return b""


class NetworkConnection(Connection):
    @property
    def describe(self) -> str:
        return f"network {self.settings.host}:{self.settings.port}"

    def create(self, escpos: Any) -> Any:
        s = self.settings
        return escpos.Network(s.host, s.port, timeout=5, profile=s.profile)

    def read(self, device: Any, timeout: float) -> bytes:
        device.settimeout(timeout)
        try:
            data = device.recv(256)
        except TimeoutError:
            return b""
        if not data:
            raise DeviceGone("printer closed the connection")
        return data


class SerialConnection(Connection):
    @property
    def describe(self) -> str:
        return f"serial {self.settings.serial_port} @{self.settings.serial_baudrate}"

    def create(self, escpos: Any) -> Any:
        s = self.settings
        return escpos.Serial(s.serial_port, s.serial_baudrate, timeout=1, dsrdtr=True, profile=s.profile)

    def read(self, device: Any, timeout: float) -> bytes:
        device.timeout = timeout
        first = device.read(1)  # read(n) would wait the whole timeout for n bytes
        return first + device.read(device.in_waiting) if first else b""


class UsbConnection(Connection):
    def __init__(self, settings: PrinterSettings) -> None:
        super().__init__(settings)
        model = settings.resolved()
        self.usb_id = (
            settings.usb_vendor or model.usb_vendor or DEFAULT_USB_ID[0],
            settings.usb_product or model.usb_product or DEFAULT_USB_ID[1],
        )
        self.in_ep: int | None = settings.usb_in_ep or model.usb_in_ep
        self.out_ep: int | None = settings.usb_out_ep or model.usb_out_ep
        self.can_read = True  # until the descriptor shows no IN endpoint

    @property
    def describe(self) -> str:
        eps = f" in {self.in_ep:#04x}" if self.in_ep else ""
        eps += f" out {self.out_ep:#04x}" if self.out_ep else ""
        return f"usb {self.usb_id[0]:04x}:{self.usb_id[1]:04x}{eps}"

    def create(self, escpos: Any) -> Any:
        return escpos.Usb(*self.usb_id, timeout=5000, profile=self.settings.profile)

    def opened(self, printer: Any) -> None:
        """Endpoints from the descriptor where the station did not set them."""
        cfg = printer.device.get_active_configuration()
        found_in, found_out = bulk_endpoints(cfg)
        have = {e.bEndpointAddress for intf in cfg for e in intf}
        for ep in (self.in_ep, self.out_ep):
            if ep is not None and ep not in have:
                raise DeviceGone(f"USB endpoint {ep:#04x} is not on the printer (its descriptor: "
                                 f"in {found_in or 0:#04x}, out {found_out or 0:#04x})")
        if self.out_ep is None:
            if found_out is None:
                raise DeviceGone("USB printer has no bulk OUT endpoint")
            self.out_ep = found_out
        if self.in_ep is None:
            self.in_ep = found_in
        self.can_read = self.in_ep is not None
        printer.out_ep = self.out_ep
        printer.in_ep = self.in_ep or 0

    def read(self, device: Any, timeout: float) -> bytes:
        try:
            return bytes(device.read(self.in_ep, 256, int(timeout * 1000)))
        except Exception as exc:  # e.g. ValueError('Invalid endpoint address 0x82')
            if "timeout" in str(exc).lower() or getattr(exc, "errno", None) == 110:
                return b""
            raise DeviceGone(_one_line(exc)) from None


class FileConnection(Connection):
    """A device file such as /dev/usb/lp0, opened write-only: it never answers."""

    can_read = False

    @property
    def describe(self) -> str:
        return f"file {self.settings.file}"

    def create(self, escpos: Any) -> Any:
        if not self.settings.file:
            raise DeviceGone("printer.file is not set")
        return escpos.File(str(self.settings.file), profile=self.settings.profile)


CONNECTIONS: dict[str, type[Connection]] = {
    "usb": UsbConnection,
    "serial": SerialConnection,
    "network": NetworkConnection,
    "file": FileConnection,
}


class Link:
    """The printer's wire: the connection class for `settings.connection`, with the error
    handling, chunking and timeouts every kind shares."""

    def __init__(self, settings: PrinterSettings) -> None:
        self.settings = settings
        self.printer: Any = None
        self.connection = CONNECTIONS[settings.connection](settings)

    @property
    def can_read(self) -> bool:
        """A file never answers, nor a USB printer without an IN endpoint: status stays unknown."""
        return self.connection.can_read

    @property
    def describe(self) -> str:
        return self.connection.describe

    def open(self) -> None:
        self.close()
        escpos = escpos_printer()
        try:
            self.printer = self.connection.create(escpos)
            self.printer.open()
            self.connection.opened(self.printer)
        except DeviceNotFoundError as exc:
            self.printer = None
            raise DeviceGone(str(exc).splitlines()[0]) from None
        except Exception as exc:  # USB backend missing, permission denied, bad endpoint ...
            self.close()
            if isinstance(exc, OSError | DeviceGone):
                raise
            raise DeviceGone(_one_line(exc)) from None

    def close(self) -> None:
        if self.printer is not None:
            try:
                self.printer.close()
            except Exception:  # closing a vanished device must not raise
                pass
            self.printer = None

    def write(self, data: bytes) -> None:
        if self.printer is None:
            raise DeviceGone("not open")
        try:
            for i in range(0, len(data), CHUNK):
                self.printer._raw(data[i : i + CHUNK])
        except (OSError, DeviceGone):
            raise
        except Exception as exc:  # pyusb USBError / ValueError, serial exceptions
            raise DeviceGone(_one_line(exc)) from None

    def read(self, timeout: float) -> bytes:
        """Whatever the printer sent within `timeout` seconds (b"" if nothing)."""
        if self.printer is None:
            raise DeviceGone("not open")
        if not self.can_read:
            return b""
        try:
            return self._read(timeout)
        except (OSError, DeviceGone):
            raise
        except Exception as exc:  # never let a driver exception kill the print thread
            raise DeviceGone(_one_line(exc)) from None

    def _read(self, timeout: float) -> bytes:
        return self.connection.read(self.printer.device, timeout)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}"[:160] if text else type(exc).__name__

