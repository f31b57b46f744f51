"""Stand-in network for scripts/container-build.sh's serve check (test helper, not shipped).

- TCP "Port" on 127.0.0.1:<ephemeral> that accepts connections and never answers, so `serve`
  stays live but not ready; it creates MARKER on the first accepted connection.
- DNS on 127.0.0.1:53 (when it can bind it) answering A 127.0.0.1 for names under
  .container-check.test, so the static binary's resolver is exercised through resolv.conf.
Prints "<tcp port> <dns 1|0> <pid>" and runs until killed (at most LIFETIME seconds).
"""

import os
import socket
import struct
import sys
import threading
import time

MARKER, LIFETIME = sys.argv[1], 120
SUFFIX = b".container-check.test"


def hold_connections(server: socket.socket) -> None:
    held = []
    while True:
        conn, _ = server.accept()
        held.append(conn)
        open(MARKER, "w").close()


def answer_dns(dns: socket.socket) -> None:
    while True:
        query, peer = dns.recvfrom(512)
        ident, _flags, qdcount = struct.unpack("!HHH", query[:6])
        end = 12
        labels = []
        while query[end]:
            labels.append(query[end + 1:end + 1 + query[end]])
            end += 1 + query[end]
        question = query[12:end + 5]
        qtype = struct.unpack("!H", query[end + 1:end + 3])[0]
        name = b"." + b".".join(labels).lower()
        if not name.endswith(SUFFIX):
            dns.sendto(struct.pack("!HHHHHH", ident, 0x8183, qdcount, 0, 0, 0) + question, peer)
        elif qtype != 1:  # AAAA and others: no data
            dns.sendto(struct.pack("!HHHHHH", ident, 0x8180, qdcount, 0, 0, 0) + question, peer)
        else:
            answer = struct.pack("!HHHLH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
            dns.sendto(struct.pack("!HHHHHH", ident, 0x8180, qdcount, 1, 0, 0) + question + answer, peer)


server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(64)
threading.Thread(target=hold_connections, args=(server,), daemon=True).start()
dns_ok = 0
try:
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    threading.Thread(target=answer_dns, args=(dns,), daemon=True).start()
    dns_ok = 1
except OSError:
    pass
print(server.getsockname()[1], dns_ok, os.getpid(), flush=True)
sys.stdout.close()
time.sleep(LIFETIME)
