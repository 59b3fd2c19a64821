"""A small TCP proxy for fault injection: the tests point the app at it, then make the part behind it fail.

``mode`` is one of
- ``"pass"``: forward both ways;
- ``"refuse"``: new connections are closed at once, open ones are cut (a database or Redis that went down);
- ``"hang"``: connections are accepted and open ones kept, but nothing is forwarded (a hung server or a
  dropped network: the client waits for its own timeout).
"""

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.mode = "pass"
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def set_mode(self, mode):
        assert mode in ("pass", "refuse", "hang"), mode
        self.mode = mode
        if mode == "refuse":
            self._cut_all()

    def _track(self, sock):
        with self._lock:
            self._sockets.add(sock)

    def _cut_all(self):
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            self._track(client)
            if self.mode == "hang":
                continue  # accepted, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.mode == "hang":  # hold the bytes: the other side waits
                    threading.Event().wait(0.05)
                    if self._closed:
                        return
                if self.mode == "refuse":
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self):
        self._closed = True
        self._listener.close()
        self._cut_all()
