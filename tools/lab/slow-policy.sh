#!/bin/sh
# A Postfix policy service (SMTPD_POLICY_README) that makes the lab's slow receiving server
# slow: it answers every request, here the end of data, only after 15 seconds, with DUNNO
# (no opinion), so the message is then accepted. Run by spawn(8) on the socket.
while IFS= read -r line; do
    if [ -z "$line" ]; then
        sleep 15
        printf 'action=DUNNO\n\n'
    fi
done
