/* synframe: the frame of the SYN that began each handshake under way (internal to
 * reassembly/). libnids tells of a connection only when its handshake completes, two packets
 * after the SYN; a session's packets begin at that SYN, which is where a display filter or an
 * extract of the session must begin too. Kept in a fixed table: a SYN flood cannot grow it,
 * and the SYNs of handshakes that never complete age out as newer ones need the room. */
#ifndef SMTPSCOPE_SYNFRAME_H
#define SMTPSCOPE_SYNFRAME_H

#include <stdint.h>

#define SYNFRAME_SLOTS 16384 /* a power of two */
#define SYNFRAME_PROBE 8     /* slots a 4-tuple may take, from its hash on */

/* A client SYN that starts a new stream on this 4-tuple (network-order addresses as libnids
 * keeps them, host-order ports), in frame. */
void synframe_note(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, uint64_t frame);
/* The frame of that SYN, forgotten here; 0 when it is not known (pushed out by newer ones). */
uint64_t synframe_take(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);
void synframe_free(void);

#endif
