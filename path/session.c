/* What the path comparison keeps of an SMTP session: its dialogue (commands, replies and each
 * end of data, in order), its greeting, its transactions' identities, how it ended. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "path/path.h"

static uint64_t hash_text(const char *s)
{
    return s && *s ? XXH3_64bits(s, strlen(s)) | 1 : 0; /* never 0: 0 is "none" */
}

/* Cut to fit: the comparison looks at the first cap - 1 bytes (both sides cut alike). */
static void copy_text(char *out, size_t cap, const char *s)
{
    size_t n = s ? strnlen(s, cap - 1) : 0;
    memcpy(out, s ? s : "", n);
    out[n] = '\0';
}

/* The recipients in the order sent: both sides see the same order. */
static uint64_t hash_rcpts(const smtp_txn *t)
{
    uint64_t h = 0;
    for (unsigned i = 0; i < t->nrcpt; i++)
        h = h * 0x100000001B3ull ^ hash_text(t->rcpt[i]);
    return h ? h | 1 : 0;
}

static void keep_txn(path_txn *p, const smtp_txn *t)
{
    memset(p, 0, sizeof *p);
    p->id_hash = hash_text(t->message_id);
    p->from_hash = hash_text(t->mail_from);
    p->rcpt_hash = hash_rcpts(t);
    p->has_digest = t->has_digest;
    memcpy(p->digest, t->digest, sizeof p->digest);
    p->bytes = t->bytes;
    p->eod_seen = t->eod.seen;
    p->bdat = t->eod.bdat;
    p->eod_parts = t->eod.nparts;
    if (t->eod.seen && t->eod.nparts > 0) {
        int last = t->eod.nparts < 5 ? t->eod.nparts - 1 : 4;
        p->eod_frame[0] = t->eod.part[0].frame;
        p->eod_ts[0] = t->eod.part[0].ts;
        p->eod_frame[1] = t->eod.part[last].frame;
        p->eod_ts[1] = t->eod.part[last].ts;
    }
    p->replied = t->eod.replied;
    p->reply = t->eod.reply;
    p->data_frame = t->data_at.frame;
    p->data_at = t->data_at.ts;
    copy_text(p->message_id, sizeof p->message_id, t->message_id);
}

static void push_step(path_session *s, int64_t ts, uint64_t frame, int dir, const char *text)
{
    if (s->nsteps >= PATH_STEPS) {
        s->steps_cut = 1;
        return;
    }
    path_step *st = &s->steps[s->nsteps++];
    st->ts = ts;
    st->frame = frame;
    st->dir = (uint8_t)dir;
    copy_text(st->text, sizeof st->text, text);
}

/* The next end of data (not BDAT's: its command is in the dialogue) due before a line at ts,
 * frame: one that came earlier, or in the same segment once its DATA is in (a client may send
 * DATA, the message and QUIT in one segment). */
static const path_txn *eod_due(const path_session *s, unsigned *next, int64_t ts, uint64_t frame,
                               uint64_t data_frame)
{
    for (; *next < s->ntxn; ++*next) {
        const path_txn *t = &s->txn[*next];
        if (!t->eod_seen || t->bdat || !t->eod_frame[1])
            continue;
        int before = t->eod_ts[1] < ts || (t->eod_ts[1] == ts && t->eod_frame[1] < frame);
        int same = t->eod_frame[1] == frame && t->data_frame == data_frame;
        if (before || same)
            return &s->txn[(*next)++];
        return NULL;
    }
    return NULL;
}

typedef struct walk {
    unsigned next_eod;
    uint64_t data_frame; /* the last DATA command's */
} walk;

static void push_line(path_session *s, walk *w, const smtp_tline *l)
{
    if (l->dir > 1)
        return; /* the analyser's own notes: the ends of data come from the transactions */
    const path_txn *t;
    while ((t = eod_due(s, &w->next_eod, l->ts, l->frame, w->data_frame)))
        push_step(s, t->eod_ts[1], t->eod_frame[1], 0, PATH_EOD_STEP);
    push_step(s, l->ts, l->frame, l->dir, l->text);
    if (l->dir == 0 && !strncasecmp(l->text, "DATA", 4) && (!l->text[4] || l->text[4] == ' '))
        w->data_frame = l->frame;
}

static void keep_dialogue(path_session *s, const smtp_report *r)
{
    walk w = {0, 0};
    for (unsigned i = 0; i < r->nhead; i++)
        push_line(s, &w, &r->head[i]);
    if (r->dropped_lines) {
        s->steps_cut = 1; /* a gap: what follows it cannot be lined up with the other side */
        return;
    }
    for (unsigned i = 0; i < r->ntail; i++)
        push_line(s, &w, smtp_tail_line(r, i));
    const path_txn *t;
    while ((t = eod_due(s, &w.next_eod, INT64_MAX, UINT64_MAX, w.data_frame)))
        push_step(s, t->eod_ts[1], t->eod_frame[1], 0, PATH_EOD_STEP);
}

void path_session_from(path_session *s, uint64_t id, const char *client, const char *server,
                       const smtp_report *r)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    copy_text(s->client, sizeof s->client, client);
    copy_text(s->server, sizeof s->server, server);
    s->start = r->start;
    s->end = r->end;
    s->start_frame = r->start_frame;
    s->end_frame = r->end_frame;
    s->end_reason = r->end_reason;
    s->closed_by = r->closed_by;
    s->banner_seen = r->banner.seen;
    s->banner_frame = r->banner.at.frame;
    s->banner_ts = r->banner.at.ts;
    copy_text(s->banner, sizeof s->banner, r->banner.text);
    s->helo_hash = hash_text(r->helo);
    s->ntxn = r->ntxn < PATH_TXNS ? r->ntxn : PATH_TXNS;
    for (unsigned i = 0; i < s->ntxn; i++)
        keep_txn(&s->txn[i], &r->txns[i]);
    keep_dialogue(s, r);
}
