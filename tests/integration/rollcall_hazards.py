"""rollcall_hazards - what the survival tests inflict: a private mount namespace with a
small tmpfs that fills up, SIGKILL at a chosen moment, and a TCP cable that can be pulled.
Standard library only; used with rollcall_harness."""

import ctypes
import errno
import os
import signal
import socket
import sys
import threading

_CLONE_NEWNS = 0x00020000
_MS_REMOUNT, _MS_REC, _MS_PRIVATE = 32, 16384, 1 << 18
_MNT_DETACH = 2


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.unshare.argtypes = [ctypes.c_int]
    return libc


def private_mount_namespace():
    """Moves this test process, and every process it starts from then on, into a mount namespace
    of its own with private propagation: what it mounts nobody else sees, and it all goes away
    with the process. Returns None, or why it cannot (not Linux, not root, no namespaces)."""
    if not sys.platform.startswith("linux"):
        return "mount namespaces need Linux (this is %s)" % sys.platform
    if os.geteuid() != 0:
        return "needs root to make a mount namespace and mount a tmpfs (euid is %d)" % os.geteuid()
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        return "unshare(CLONE_NEWNS) failed: %s" % os.strerror(ctypes.get_errno())
    # Without this, a mount under a shared parent would propagate back to the host.
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return "making / private in the new mount namespace failed: %s" % os.strerror(
            ctypes.get_errno())
    return None


def mount_tmpfs(path, size_bytes, remount=False):
    """Mounts (or, with remount, resizes) a tmpfs of size_bytes at path. Only after
    private_mount_namespace()."""
    data = ("size=%d,mode=0700" % size_bytes).encode()
    flags = _MS_REMOUNT if remount else 0
    if _libc().mount(b"tmpfs", path.encode(), b"tmpfs", flags, data) != 0:
        raise AssertionError("%s a %d-byte tmpfs at %s failed: %s"
                             % ("resizing" if remount else "mounting", size_bytes, path,
                                os.strerror(ctypes.get_errno())))


def unmount(path):
    """Detaches the filesystem mounted at path (lazily: open files keep it until closed)."""
    if _libc().umount2(path.encode(), _MNT_DETACH) != 0:
        raise AssertionError("unmounting %s failed: %s" % (path, os.strerror(ctypes.get_errno())))


def mounts_of(pid):
    """The mount points a process sees (from /proc/PID/mountinfo)."""
    with open("/proc/%s/mountinfo" % pid, encoding="utf-8", errors="replace") as f:
        return {line.split()[4] for line in f if len(line.split()) > 4}


def fill_disk(path, chunk=1 << 16):
    """Writes zeros to the file path until its filesystem has no space left (ENOSPC). Returns
    the bytes written."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        zeros = bytes(chunk)
        while True:
            try:
                n = os.write(fd, zeros)
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    return written
                raise
            if n == 0:
                return written
            written += n
    finally:
        os.close(fd)


def kill9(h, proc):
    """SIGKILL to one process this harness started (by its id, nothing else); forgets it. Returns
    True when the signal killed it, False when it had already exited on its own."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    h.procs = [p for p in h.procs if p[1] is not proc]
    return proc.returncode == -signal.SIGKILL


class TcpCable:
    """A plain TCP relay from a port of its own to 127.0.0.1:target_port, which can be unplugged
    (a school PC losing its line: connections refused, open ones cut) and plugged back. CURVE
    runs end to end through it. Threads of this process; close() stops them."""

    def __init__(self, h, target_port):
        self.port = h.reserve_port()
        self.endpoint = "tcp://127.0.0.1:%d" % self.port
        self.target = target_port
        self.lock = threading.Lock()
        self.listener = None
        self.conns = []
        self.threads = []
        self.plugged = False

    def plug(self):
        with self.lock:
            if self.plugged:
                return self
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", self.port))
            ls.listen(16)
            ls.settimeout(0.1)
            self.listener, self.plugged = ls, True
        t = threading.Thread(target=self._accept, args=(ls,), daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def unplug(self):
        with self.lock:
            self.plugged = False
            ls, self.listener = self.listener, None
            conns, self.conns = self.conns, []
        if ls is not None:
            ls.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        for t in self.threads:
            t.join(5)
        self.threads = [t for t in self.threads if t.is_alive()]
        return self

    close = unplug

    def _accept(self, ls):
        while self.plugged:
            try:
                client, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target), timeout=2)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            with self.lock:
                if not self.plugged:
                    client.close()
                    server.close()
                    return
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                t = threading.Thread(target=self._pump, args=(a, b), daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
