#!/usr/bin/env python3
"""Sends one message with Python's smtplib: the client of the size-declared capture.

    smtplib-send.py SERVER HELO FROM TO MESSAGE-ID BODY-FILE

Why smtplib and not swaks or Postfix: the capture needs a client that declares the size with
MAIL FROM ... SIZE= (RFC 1870) and sends MAIL FROM even though the server's EHLO says
"SIZE 10240". swaks never declares SIZE=; Postfix's own smtp client reads the server's limit
and bounces the message itself after EHLO, so no MAIL FROM and no 552 are ever on the wire.
smtplib (as many applications use it) adds "size=N" whenever the server offers SIZE and
leaves the refusal to the server.

Prints the server's reply to MAIL FROM ("CODE TEXT") and exits 0 when the message was
accepted, 1 when it was refused.
"""
import smtplib
import sys
from email.message import EmailMessage


def main():
    server, helo, sender, rcpt, msgid, body_file = sys.argv[1:7]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = "smtpscope size-declared"
    msg["Message-Id"] = f"<{msgid}@client.example.test>"
    with open(body_file, encoding="ascii") as f:
        msg.set_content(f.read())
    with smtplib.SMTP(server, 25, local_hostname=helo, timeout=60) as smtp:
        try:
            smtp.send_message(msg)
        except smtplib.SMTPSenderRefused as e:
            print(f"{e.smtp_code} {e.smtp_error.decode(errors='replace')}")
            return 1
    print("250 accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
