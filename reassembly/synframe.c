/* synframe: the SYN frames of handshakes under way, in a fixed table. See synframe.h. */
#include "reassembly/synframe.h"

#include <stdlib.h>

typedef struct syn_slot {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint64_t frame; /* 0: empty */
} syn_slot;

static syn_slot *table;

static unsigned slot_of(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
    uint64_t h = ((uint64_t)saddr << 32 | daddr) ^ ((uint64_t)sport << 16 | dport);
    h *= 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 40) & (SYNFRAME_SLOTS - 1);
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
