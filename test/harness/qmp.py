"""A minimal client for QEMU's machine protocol (QMP) over a Unix socket."""

import json
import socket
import time


class QmpClient:
    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._socket.settimeout(timeout)
                self._socket.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self._socket.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._reader = self._socket.makefile("r")
        self._read()  # the greeting
        self.execute("qmp_capabilities")

    def _read(self):
        line = self._reader.readline()
        if not line:
            raise ConnectionError("QMP socket closed")
        return json.loads(line)

    def execute(self, command, **arguments):
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self._socket.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(f"QMP {command}: {reply['error']}")
            return reply.get("return")

    def send_keys(self, *qcodes):
        """Presses the keys in order and releases them, as QEMU's send-key does."""
        self.execute("send-key", keys=[{"type": "qcode", "data": code} for code in qcodes])

    def close(self):
        self._reader.close()
        self._socket.close()
