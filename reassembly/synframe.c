/* synframe: the SYN frames of handshakes under way, in a fixed table. See synframe.h. */
#include "reassembly/synframe.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct syn_slot {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint64_t frame; /* 0: empty */
} syn_slot;

static syn_slot *table;

/* Every bit of the 4-tuple must move the slot: clients that differ in one address byte, all
 * from one port, are common (a benchmark, a NAT pool). The earlier multiplicative hash took
 * bits that the top byte of the client's address never reached, so such clients shared one
 * probe window and pushed each other's SYNs out; XXH3 mixes them all. */
static unsigned slot_of(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    uint8_t key[12];
    memcpy(key, &saddr, 4);
    memcpy(key + 4, &daddr, 4);
    memcpy(key + 8, &sport, 2);
    memcpy(key + 10, &dport, 2);
    return (unsigned)XXH3_64bits(key, sizeof key) & (SYNFRAME_SLOTS - 1);
}

static int same(const syn_slot *s, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    return s->frame && s->saddr == saddr && s->daddr == daddr && s->sport == sport &&
           s->dport == dport;
}

/* The tuple's own slot if it has one (an earlier attempt that never completed), else an
 * empty one, else the oldest of its probe window. */
static syn_slot *place_for(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    unsigned at = slot_of(saddr, sport, daddr, dport);
    syn_slot *pick = NULL;
    for (unsigned i = 0; i < SYNFRAME_PROBE; i++) {
        syn_slot *s = &table[(at + i) & (SYNFRAME_SLOTS - 1)];
        if (same(s, saddr, sport, daddr, dport))
            return s;
        if (!pick || (pick->frame && s->frame < pick->frame))
            pick = s;
    }
    return pick;
}

void synframe_note(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport, uint64_t frame)
{
    if (!table && !(table = calloc(SYNFRAME_SLOTS, sizeof *table)))
        return; /* without the table the session's range begins at its handshake's end */
    *place_for(saddr, sport, daddr, dport) = (syn_slot){saddr, daddr, sport, dport, frame};
}

uint64_t synframe_take(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    if (!table)
        return 0;
    unsigned at = slot_of(saddr, sport, daddr, dport);
    for (unsigned i = 0; i < SYNFRAME_PROBE; i++) {
        syn_slot *s = &table[(at + i) & (SYNFRAME_SLOTS - 1)];
        if (same(s, saddr, sport, daddr, dport)) {
            uint64_t frame = s->frame;
            s->frame = 0;
            return frame;
        }
    }
    return 0;
}

void synframe_free(void)
{
    free(table);
    table = NULL;
}
