/* midflow: the TCP connections libnids cannot follow because their handshake is not in the
 * capture (internal to reassembly/). A bounded table keyed by libnids' address tuple counts
 * their packets and keeps their first bytes, so the report can say what was missed. */
#ifndef SMTPSCOPE_MIDFLOW_H
#define SMTPSCOPE_MIDFLOW_H

#include <stdint.h>
#include <sys/time.h>

#include "reassembly/reasm.h"

/* One packet of a connection libnids holds no followed stream for. Addresses as libnids
 * sees them (network order, IPv6 ones synthetic), ports in host order. */
typedef struct midflow_pkt {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint8_t flags; /* TCP flags */
    const uint8_t *payload;
    uint32_t len;
    uint64_t frame;
    struct timeval ts;
    int syn_seen; /* libnids holds a stream for it whose handshake is not complete */
} midflow_pkt;

/* Turns libnids' view of an endpoint into the real one (IPv6 for synthetic addresses). */
typedef reasm_endpoint (*midflow_endpoint_fn)(uint32_t addr, uint16_t port);
typedef void (*midflow_report_fn)(const reasm_unseen *u);

void midflow_init(midflow_endpoint_fn endpoint, midflow_report_fn report);
/* Counts the packet; a connection not yet known is recorded only when the packet carries
 * data or is a SYN/ACK (a lone ACK, FIN or RST is the tail of a connection that ended). */
void midflow_note(const midflow_pkt *p);
/* A handshake completed on this tuple: a record made while its SYN was known is dropped (it
 * was this connection, waiting); an older one (an earlier connection) is reported now. */
void midflow_opened(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);
/* Reports every record, oldest first, and frees the table. */
void midflow_finish(void);

#endif
