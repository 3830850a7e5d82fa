#!/usr/bin/env python3
"""An SMTP server on 127.0.0.1 that keeps every message it accepts as a file.

usage: smtp_sink.py DIR — prints its port on the first line of stdout, then serves until
killed. Each message becomes DIR/<n>.eml, headed by X-Envelope-From and X-Envelope-To lines.
"""
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asyncore  # noqa: E402  (Debian 12's Python 3.11 still ships asyncore and smtpd)
import smtpd  # noqa: E402


class Sink(smtpd.SMTPServer):
    def __init__(self, directory):
        super().__init__(("127.0.0.1", 0), None, decode_data=False)
        self.directory = directory
        self.count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.count += 1
        path = os.path.join(self.directory, "%04d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + mailfrom.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ", ".join(rcpttos).encode() + b"\r\n")
            f.write(data)
        os.rename(path + ".tmp", path)
        return None


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    server = Sink(directory)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop(timeout=0.5)


if __name__ == "__main__":
    main()
