/* connect: TCP connection attempts that failed (internal to reassembly/). libnids tells only
 * of connections whose handshake completed, so the client SYNs the caller wants followed are
 * kept here, in a bounded table keyed by the 4-tuple, until the attempt is settled: answered
 * (a SYN/ACK, or any other packet from the server, or a client packet that is not a SYN: the
 * handshake went on) and forgotten; refused (a RST from the server); or never answered (no
 * SYN for CONNECT_TIMEOUT, or the capture ended at least CONNECT_GRACE after its first SYN).
 * SYNs sent again on the same 4-tuple, with the same sequence number or not, are attempts of
 * the one connection. */
#ifndef SMTPSCOPE_CONNECT_H
#define SMTPSCOPE_CONNECT_H

#include <stdint.h>
#include <sys/time.h>

#include "reassembly/reasm.h"

#define CONNECT_MAX 65536  /* attempts awaiting an answer; past that the oldest is dropped */
#define CONNECT_TIMEOUT 75 /* s without a SYN: Linux gives up 64 s after its last SYN */
#define CONNECT_GRACE 3    /* s: at capture end, a younger attempt may just be in flight */

/* One TCP packet as libnids sees it: addresses in network order (IPv6 ones synthetic),
 * ports in host order. */
typedef struct connect_pkt {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint8_t flags;
    uint64_t frame;
    struct timeval ts;
} connect_pkt;

typedef reasm_endpoint (*connect_endpoint_fn)(uint32_t addr, uint16_t port);
typedef void (*connect_report_fn)(const reasm_connect_failure *f);

void connect_init(connect_endpoint_fn endpoint, connect_report_fn report);
/* Attempts awaiting an answer: when none, only a SYN can matter. */
unsigned connect_pending(void);
/* A client SYN to follow (the caller decided the port is worth it). */
void connect_syn(const connect_pkt *p);
/* Any other packet: settles the attempt of its 4-tuple, if one is pending. */
void connect_other(const connect_pkt *p);
/* Attempts with no SYN for CONNECT_TIMEOUT before now end as never answered; *at is set to
 * each one's position (REASM_AT_CONNECT_EXPIRY) before it is reported. */
void connect_expire(struct timeval now, uint64_t frame, reasm_position *at);
/* Capture end at `last`: the attempts left end as never answered (those at least
 * CONNECT_GRACE old), in the order of their first SYN; then the table is freed. */
void connect_finish(struct timeval last, reasm_position *at);
/* Attempts dropped unsettled from a full table. */
uint64_t connect_evicted(void);

#endif
