/* A session's transactions (kept up to SMTP_MAX_TXNS, the rest tracked in one spill slot) and
 * its queue of commands awaiting a reply, which pairs each reply with what it answers. */
#include <stdlib.h>
#include <string.h>

#include "smtp/internal.h"

smtp_txn *smtp_txn_at(smtp_session *s, int idx)
{
    if (idx == SPILL)
        return s->spill;
    if (idx < 0 || (unsigned)idx >= s->rep.ntxn)
        return NULL;
    return &s->txns[idx];
}

void smtp_txn_free_text(smtp_txn *t)
{
    free(t->mail_from);
    for (unsigned i = 0; i < t->nrcpt; i++)
        free(t->rcpt[i]);
    free(t->message_id);
}

void smtp_txn_clear(smtp_txn *t)
{
    smtp_txn_free_text(t);
    memset(t, 0, sizeof *t);
}

int smtp_txn_new(smtp_session *s)
{
    if (s->rep.ntxn >= SMTP_MAX_TXNS) {
        if (!s->spill && !(s->spill = calloc(1, sizeof *s->spill)))
            return NO_TXN;
        s->spill_split_unacked += smtp_eod_split_unacked(&s->spill->eod);
        s->spill_too_big += s->spill->too_big.code != 0;
        smtp_txn_clear(s->spill);
        s->rep.count.txn_overflow++;
        return SPILL;
    }
    smtp_txn *grown = realloc(s->txns, (s->rep.ntxn + 1) * sizeof *grown);
    if (!grown)
        return NO_TXN;
    s->txns = grown;
    s->rep.txns = grown;
    memset(&grown[s->rep.ntxn], 0, sizeof grown[0]);
    return (int)s->rep.ntxn++;
}

smtp_txn *smtp_current_txn(smtp_session *s, int create)
{
    if (s->cur == NO_TXN && create)
        s->cur = smtp_txn_new(s);
    return smtp_txn_at(s, s->cur);
}

/* Most sessions have a command or two in flight; a pipelining client may have a hundred. */
static int queue_grow(smtp_session *s)
{
    unsigned cap = s->qcap ? s->qcap * 2 : 8;
    if (s->qcap == SMTP_PIPELINE_MAX)
        return -1;
    if (cap > SMTP_PIPELINE_MAX)
        cap = SMTP_PIPELINE_MAX;
    pending *q = malloc(cap * sizeof *q);
    if (!q)
        return -1;
    for (unsigned i = 0; i < s->qlen; i++)
        q[i] = s->q[(s->qhead + i) % s->qcap];
    free(s->q);
    s->q = q;
    s->qcap = cap;
    s->qhead = 0;
    return 0;
}

void smtp_enqueue(smtp_session *s, smtp_verb v, int txn, unsigned rcpt, int last)
{
    if (s->qlen == s->qcap && queue_grow(s) < 0) {
        s->rep.count.pipeline_overflow++;
        return;
    }
    pending *p = &s->q[(s->qhead + s->qlen++) % s->qcap];
    p->verb = (uint8_t)v;
    p->txn = txn;
    p->rcpt = rcpt;
    p->last = (uint8_t)last;
}

pending *smtp_queue_head(smtp_session *s)
{
    return s->qlen ? &s->q[s->qhead] : NULL;
}

void smtp_dequeue(smtp_session *s)
{
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qlen--;
}
