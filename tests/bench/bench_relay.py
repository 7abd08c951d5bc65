"""bench_relay - a TCP relay that counts the bytes of every connection through it.

Used by the wire benchmark: a school's upstream endpoint points at the relay, which
passes every byte on to the real upstream unchanged and counts the TCP payload in each
direction (ZeroMQ framing, the CURVE handshake and boxes, envelopes, signatures and acks
are all in it; the TCP/IP headers are not). Standard library only.
"""

import socket
import threading


class CountingRelay:
    """Listens on 127.0.0.1 (a free port) and relays to (host, port)."""

    def __init__(self, port, upstream_port, host="127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.lock = threading.Lock()
        self.up = 0    # client -> upstream
        self.down = 0  # upstream -> client
        self.connections = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(64)
        self.port = port
        self.closing = False
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def reset(self):
        with self.lock:
            self.up = self.down = self.connections = 0

    def counts(self):
        with self.lock:
            return self.up, self.down, self.connections

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += 1
            for src, dst, up in ((client, server, True), (server, client, False)):
                t = threading.Thread(target=self._pump, args=(src, dst, up), daemon=True)
                t.start()
                self.threads.append(t)

    def _pump(self, src, dst, up):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                with self.lock:
                    if up:
                        self.up += len(data)
                    else:
                        self.down += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closing = True
        self.listener.close()
