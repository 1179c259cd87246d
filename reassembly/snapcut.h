/* snapcut: a TCP packet cut short by the capture's snaplen, made whole again for libnids.
 *
 * libnids refuses an IP packet shorter than its total length, so a capture taken with
 * `tcpdump -s 68` would lose every handshake and every session. What the snaplen cut is the
 * end of the packet: the headers up to the cut are as sent. So the packet is handed on at its
 * full length, the missing bytes zero: libnids then sees the sequence numbers, flags, FINs and
 * RSTs as they were, and the caller keeps the zero payload from the analysers (reasm_packet.c
 * marks the session cut). A TCP header cut after its flags gets a window that cannot read as
 * zero; cut TCP options are dropped (zeroes are the end-of-options kind), and a SYN whose
 * options are cut announces the largest window scale, since the real one is unknown and a
 * too small one would make libnids refuse segments inside the real window. */
#ifndef SMTPSCOPE_SNAPCUT_H
#define SMTPSCOPE_SNAPCUT_H

#include "sniff/decode.h"

typedef enum {
    SNAPCUT_WHOLE,    /* the IP packet is all there (or damaged otherwise): use it as it is */
    SNAPCUT_RESTORED, /* out holds the packet at its full length */
    SNAPCUT_UNUSABLE  /* cut before the TCP flags, a cut fragment, or not TCP: nothing to use */
} snapcut_result;

/* What a restored packet lost (bits of snapcut_restore's *lost). */
enum {
    SNAPCUT_PAYLOAD = 1, /* TCP payload bytes */
    SNAPCUT_OPTIONS = 2, /* TCP options (dropped from the copy) */
    SNAPCUT_WINDOW = 4   /* the TCP header after its flags: window, checksum, urgent pointer */
};

/* p: the decoded IP packet of a frame the snaplen cut (captured length below the wire length).
 * On SNAPCUT_RESTORED, out points at a static copy valid until the next call, and *lost says
 * what was missing (SNAPCUT_* bits; else 0). With fix_checksum the copy's TCP checksum is
 * made right: a cut packet's cannot be verified. */
snapcut_result snapcut_restore(const net_packet *p, int fix_checksum, net_packet *out,
                               unsigned *lost);

#endif
