#!/usr/bin/env python3
"""An SMTP server on 127.0.0.1 that keeps every message it accepts as a file.

usage: smtp_sink.py DIR [--tls CERT KEY] [--auth USER:PASSWORD] — prints its port on the first
line of stdout, then serves until killed. --tls offers STARTTLS (RFC 3207); --auth requires
AUTH PLAIN or LOGIN (RFC 4954) with those credentials, and only after STARTTLS when --tls is
given. Each message becomes DIR/<n>.eml, headed by X-Envelope-From, X-Envelope-To,
X-Sink-TLS (yes/no) and X-Sink-User lines.
"""
import base64
import os
import socketserver
import ssl
import sys
import threading

DIRECTORY = sys.argv[1]
TLS = None
AUTH = None
_args = sys.argv[2:]
while _args:
    if _args[0] == "--tls":
        TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        TLS.load_cert_chain(_args[1], _args[2])
        _args = _args[3:]
    elif _args[0] == "--auth":
        AUTH = _args[1]
        _args = _args[2:]
    else:
        sys.exit("unknown argument " + _args[0])
COUNT = [0]
LOCK = threading.Lock()


class Session(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        reader = conn.makefile("rb")
        secure = False
        user = None
        mail_from, rcpts = None, []

        def say(text):
            conn.sendall(text.encode() + b"\r\n")

        say("220 127.0.0.1 juanie test sink")
        while True:
            line = reader.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                extensions = ["8BITMIME", "SIZE 10485760"]
                if TLS and not secure:
                    extensions.append("STARTTLS")
                if AUTH and (secure or not TLS):
                    extensions.append("AUTH PLAIN LOGIN")
                conn.sendall(("250-127.0.0.1\r\n" + "".join(
                    ("250-" if i < len(extensions) - 1 else "250 ") + e + "\r\n"
                    for i, e in enumerate(extensions))).encode())
            elif verb == "HELO":
                say("250 127.0.0.1")
            elif verb == "STARTTLS" and TLS and not secure:
                say("220 ready to start TLS")
                conn = TLS.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                secure = True
                mail_from, rcpts = None, []
            elif verb == "AUTH" and AUTH and (secure or not TLS):
                parts = command.split()
                mechanism = parts[1].upper() if len(parts) > 1 else ""
                if mechanism == "PLAIN":
                    if len(parts) > 2:
                        blob = parts[2]
                    else:
                        say("334 ")
                        blob = reader.readline().decode().strip()
                    fields = base64.b64decode(blob).split(b"\0")
                    given = (fields[1] + b":" + fields[2]).decode() if len(fields) == 3 else ""
                elif mechanism == "LOGIN":
                    if len(parts) > 2:
                        name = base64.b64decode(parts[2]).decode()
                    else:
                        say("334 VXNlcm5hbWU6")
                        name = base64.b64decode(reader.readline().strip()).decode()
                    say("334 UGFzc3dvcmQ6")
                    given = name + ":" + base64.b64decode(reader.readline().strip()).decode()
                else:
                    say("504 unrecognized authentication type")
                    continue
                if given == AUTH:
                    user = AUTH.split(":")[0]
                    say("235 authenticated")
                else:
                    say("535 authentication credentials invalid")
            elif command.upper().startswith("MAIL FROM:") and AUTH and not user:
                say("530 authentication required")
            elif command.upper().startswith("MAIL FROM:"):
                mail_from = command[10:].split()[0].strip("<>")
                say("250 ok")
            elif command.upper().startswith("RCPT TO:"):
                rcpts.append(command[8:].strip().strip("<>"))
                say("250 ok")
            elif verb == "DATA":
                say("354 end with <CRLF>.<CRLF>")
                data = []
                while True:
                    part = reader.readline()
                    if not part or part in (b".\r\n", b".\n"):
                        break
                    data.append(part[1:] if part.startswith(b"..") else part)
                with LOCK:
                    COUNT[0] += 1
                    path = os.path.join(DIRECTORY, "%04d.eml" % COUNT[0])
                with open(path + ".tmp", "wb") as f:
                    f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Sink-TLS: %s\r\n"
                             "X-Sink-User: %s\r\n" % (mail_from, ", ".join(rcpts),
                                                      "yes" if secure else "no", user or "-")).encode())
                    f.write(b"".join(data))
                os.rename(path + ".tmp", path)
                mail_from, rcpts = None, []
                say("250 queued")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                say("250 ok")
            elif verb == "NOOP":
                say("250 ok")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 command not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    os.makedirs(DIRECTORY, exist_ok=True)
    server = Server(("127.0.0.1", 0), Session)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
