/* redownload: records POP3 sessions and their downloads, groups the downloads of one message
 * of one mailbox, ranks why it was downloaded again, and finds overlapping sessions of one
 * mailbox from different clients (see redownload.h). */
#include "report/redownload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/map.h"
#include "report/names.h"

_Static_assert(sizeof(rd_session) == 48, "rd_session is 48 bytes");
_Static_assert(sizeof(rd_download) == 32, "rd_download is 32 bytes");
_Static_assert(sizeof(rd_message) == 64, "rd_message is 64 bytes");

#define NONE UINT32_MAX

typedef struct rd_box {
    uint32_t last;       /* its latest session; NONE */
    uint32_t concurrent; /* sessions flagged concurrent */
} rd_box;

struct redownload {
    rd_session *sessions;
    uint32_t nsessions, scap;
    rd_download *downloads;
    uint32_t ndownloads, dcap;
    rd_message *msgs;
    uint32_t nmsgs, mcap;
    map keys;      /* hash of (mailbox, kind, identity) -> message index */
    names boxes;   /* USER@SERVERADDRESS */
    names clients; /* client addresses */
    rd_box *box;   /* per boxes index */
    uint32_t nbox, boxcap;
    uint32_t *concurrent_boxes;
    uint32_t nconc, ccap;
    uint32_t *order; /* messages downloaded twice or more, worst first */
    uint32_t norder;
    uint64_t not_kept;
};

redownload *redownload_new(void)
{
    return calloc(1, sizeof(redownload));
}

void redownload_free(redownload *rd)
{
    if (!rd)
        return;
    for (uint32_t i = 0; i < rd->nmsgs; i++) {
        free(rd->msgs[i].message_id);
        free(rd->msgs[i].uidl);
    }
    free(rd->sessions);
    free(rd->downloads);
    free(rd->msgs);
    map_free(&rd->keys);
    names_free(&rd->boxes);
    names_free(&rd->clients);
    free(rd->box);
    free(rd->concurrent_boxes);
    free(rd->order);
    free(rd);
}

/* Room for need elements in *p (cap of them, size bytes each), doubling. */
static int grow(void **p, size_t size, uint32_t *cap, uint32_t need)
{
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* ---- sessions and overlap ---- */

/* "bob@192.0.2.7" from the mailbox and the server's endpoint (the port and IPv6 brackets
 * dropped): one mailbox however the client reached the server's port. */
static uint32_t mailbox_name(redownload *rd, const char *user, const char *server)
{
    const char *host;
    size_t hlen = names_host_part(server, &host);
    char key[POP3_TEXT_MAX + 64];
    int n = snprintf(key, sizeof key, "%s@%.*s", user, (int)hlen, host);
    if (n < 0 || (size_t)n >= sizeof key)
        return NONE;
    uint32_t i = names_add(&rd->boxes, key, (size_t)n);
    if (i == NONE || grow((void **)&rd->box, sizeof *rd->box, &rd->boxcap, i + 1) < 0)
        return NONE;
    while (rd->nbox <= i)
        rd->box[rd->nbox++] = (rd_box){NONE, 0};
    return i;
}

static uint32_t client_name(redownload *rd, const char *client)
{
    const char *host;
    size_t len = names_host_part(client, &host);
    return names_add(&rd->clients, host, len);
}

static int overlaps(const rd_session *a, const rd_session *b)
{
    return a->start < b->end && b->start < a->end;
}

static void mark_concurrent(redownload *rd, rd_session *s)
{
    if (s->concurrent)
        return;
    s->concurrent = 1;
    if (rd->box[s->mailbox].concurrent++ == 0 &&
        grow((void **)&rd->concurrent_boxes, sizeof(uint32_t), &rd->ccap, rd->nconc + 1) == 0)
        rd->concurrent_boxes[rd->nconc++] = s->mailbox;
}

/* Compares the new session with the mailbox's latest ones from other clients: both are
 * flagged when they overlap. 1 when the new one is. */
static int find_overlap(redownload *rd, uint32_t si)
{
    rd_session *s = &rd->sessions[si];
    uint32_t p = s->prev;
    for (unsigned k = 0; p != NONE && k < REDOWNLOAD_OVERLAP_LOOKBACK;
         k++, p = rd->sessions[p].prev) {
        rd_session *o = &rd->sessions[p];
        if (o->client == s->client || !overlaps(o, s))
            continue;
        mark_concurrent(rd, o);
        mark_concurrent(rd, s);
    }
    return s->concurrent;
}

static uint32_t add_session(redownload *rd, uint64_t id, uint32_t box, uint32_t client,
                            const pop3_report *s)
{
    if (grow((void **)&rd->sessions, sizeof *rd->sessions, &rd->scap, rd->nsessions + 1) < 0)
        return NONE;
    uint32_t si = rd->nsessions++;
    rd_session *r = &rd->sessions[si];
    *r = (rd_session){.start = s->start,
                      .end = s->end,
                      .id = id,
                      .mailbox = box,
                      .client = client,
                      .prev = rd->box[box].last,
                      .end_frame = sat32(s->end_frame),
                      .end_reason = (uint8_t)s->end_reason,
                      .flags = (uint8_t)s->flags,
                      .closed_by = (int8_t)s->closed_by,
                      .quit_reply = (int8_t)s->quit_reply};
    for (unsigned i = 0; i < s->nmsgs; i++)
        r->deleting |= s->msgs[i].deleted;
    rd->box[box].last = si;
    return si;
}

/* ---- downloads ---- */

/* A download: a complete RETR, or a complete TOP that brought the whole message. */
static int is_download(const pop3_msg *m)
{
    if (!m->complete)
        return 0;
    if (m->retrieved)
        return 1;
    return m->top && (!m->has_list || m->octets >= m->list_size);
}

static uint64_t key_of(uint32_t box, char kind, const void *p, size_t len)
{
    uint8_t buf[sizeof box + 1 + POP3_TEXT_MAX];
    len = len < POP3_TEXT_MAX ? len : POP3_TEXT_MAX;
    memcpy(buf, &box, sizeof box);
    buf[sizeof box] = (uint8_t)kind;
    memcpy(buf + sizeof box + 1, p, len);
    return map_key(XXH3_64bits(buf, sizeof box + 1 + len));
}

/* The keys a message is filed under: its UIDL's, its Message-ID's; the digest's only without
 * a Message-ID, since distinct messages may share a body (a form letter, a test run) and one
 * message may reach a mailbox twice with one Message-ID, told apart by the UIDL. */
typedef struct idkeys {
    uint64_t uidl, mid, digest; /* 0: none */
} idkeys;

static idkeys keys_of(uint32_t box, const pop3_msg *m)
{
    idkeys k = {0, 0, 0};
    if (m->uidl_known && m->uidl[0])
        k.uidl = key_of(box, 'U', m->uidl, strlen(m->uidl));
    if (m->message_id[0])
        k.mid = key_of(box, 'M', m->message_id, strlen(m->message_id));
    else if (m->has_digest)
        k.digest = key_of(box, 'D', m->digest, sizeof m->digest);
    return k;
}

static uint32_t filed_under(const redownload *rd, uint64_t key)
{
    uint64_t *v = key ? map_find(&rd->keys, key, NULL, NULL) : NULL;
    return v ? (uint32_t)*v : NONE;
}

static void file_under(redownload *rd, uint64_t key, uint32_t mi)
{
    if (key && filed_under(rd, key) == NONE)
        map_add(&rd->keys, key, mi);
}

/* The message found by UIDL, else by Message-ID (or digest) unless it has another UIDL. */
static uint32_t find_message(const redownload *rd, const idkeys *k)
{
    uint32_t mi = filed_under(rd, k->uidl);
    if (mi != NONE)
        return mi;
    mi = filed_under(rd, k->mid ? k->mid : k->digest);
    if (mi != NONE && k->uidl && rd->msgs[mi].uidl_key && rd->msgs[mi].uidl_key != k->uidl)
        return NONE;
    return mi;
}

/* The message a download belongs to, or a new one; its keys filed under it. */
static uint32_t message_for(redownload *rd, uint32_t box, const pop3_msg *m)
{
    idkeys k = keys_of(box, m);
    if (!k.uidl && !k.mid && !k.digest)
        return NONE;
    uint32_t mi = find_message(rd, &k);
    if (mi == NONE) {
        if (grow((void **)&rd->msgs, sizeof *rd->msgs, &rd->mcap, rd->nmsgs + 1) < 0)
            return NONE;
        mi = rd->nmsgs++;
        rd->msgs[mi] = (rd_message){.first = NONE, .last = NONE, .mailbox = box};
    }
    if (k.uidl && !rd->msgs[mi].uidl_key)
        rd->msgs[mi].uidl_key = k.uidl;
    file_under(rd, k.uidl, mi);
    file_under(rd, k.mid, mi);
    file_under(rd, k.digest, mi);
    return mi;
}

static char *dup_or_null(const char *s, int known)
{
    if (!known || !s[0])
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}

/* Strings and digest once the message is downloaded a second time (or when it lacked them). */
static void keep_identity(rd_message *g, const pop3_msg *m)
{
    if (m->has_digest && !g->has_digest) {
        memcpy(g->digest, m->digest, sizeof g->digest);
        g->has_digest = 1;
    }
    if (g->n < 2)
        return;
    if (!g->message_id)
        g->message_id = dup_or_null(m->message_id, 1);
    if (!g->uidl)
        g->uidl = dup_or_null(m->uidl, m->uidl_known);
}

static void add_download(redownload *rd, uint32_t si, uint32_t box, const pop3_msg *m)
{
    if (rd->ndownloads >= REDOWNLOAD_MAX_DOWNLOADS) {
        rd->not_kept++;
        return;
    }
    uint32_t mi = message_for(rd, box, m);
    if (mi == NONE ||
        grow((void **)&rd->downloads, sizeof *rd->downloads, &rd->dcap, rd->ndownloads + 1) < 0)
        return;
    uint32_t di = rd->ndownloads++;
    rd->downloads[di] = (rd_download){.time = m->retr_at.ts,
                                      .session = si,
                                      .next = NONE,
                                      .frame = sat32(m->retr_at.frame),
                                      .dele_frame = sat32(m->dele_at.frame),
                                      .deleted = m->deleted,
                                      .committed = m->committed,
                                      .top = !m->retrieved};
    rd_message *g = &rd->msgs[mi];
    if (g->last == NONE)
        g->first = di;
    else
        rd->downloads[g->last].next = di;
    g->last = di;
    g->n++;
    keep_identity(g, m);
}

int redownload_session(redownload *rd, uint64_t id, const char *client, const char *server,
                       const pop3_report *s)
{
    if (!s->mailbox[0] || s->login <= 0)
        return 0; /* no mailbox was opened: nothing downloaded, nothing to overlap */
    uint32_t box = mailbox_name(rd, s->mailbox, server);
    uint32_t cl = client_name(rd, client);
    if (box == NONE || cl == NONE)
        return 0;
    uint32_t si = add_session(rd, id, box, cl, s);
    if (si == NONE)
        return 0;
    for (unsigned i = 0; i < s->nmsgs; i++)
        if (is_download(&s->msgs[i]))
            add_download(rd, si, box, &s->msgs[i]);
    int flagged = find_overlap(rd, si);
    rd->sessions[si].written = (uint8_t)flagged;
    return flagged;
}

/* ---- why: the causes of one message's downloads ---- */

static void bump(double score[POP3_CAUSE_COUNT], unsigned id, double w)
{
    if (w > score[id])
        score[id] = w;
}

/* What an earlier download (one that another followed) says. A DELE that was not committed
 * is a rollback; a message not yet DELEted when a session that was DELEting others was cut is
 * one too (the kill came before its DELE), leave-on-server only second. */
static void earlier_download(const redownload *rd, const rd_download *d, double score[])
{
    const rd_session *s = &rd->sessions[d->session];
    int cut = s->quit_reply <= 0;
    if (d->deleted && !d->committed) {
        bump(score, POP3_CAUSE_ROLLBACK, 0.9);
    } else if (!d->deleted && cut && s->deleting) {
        bump(score, POP3_CAUSE_ROLLBACK, 0.7);
        bump(score, POP3_CAUSE_LEAVE_ON_SERVER, 0.3);
    } else if (!d->deleted) {
        bump(score, POP3_CAUSE_LEAVE_ON_SERVER, cut ? 0.6 : 0.8);
    }
}

/* Two downloads in a row by different clients: overlapping sessions are two collectors at
 * once; one after the other, collectors taking turns. */
static void consecutive(const redownload *rd, const rd_download *a, const rd_download *b,
                        double score[])
{
    const rd_session *x = &rd->sessions[a->session], *y = &rd->sessions[b->session];
    if (x->client != y->client)
        bump(score, POP3_CAUSE_CONCURRENT, overlaps(x, y) ? 0.9 : 0.6);
}

unsigned redownload_causes(const redownload *rd, const rd_message *m, rd_cause out[])
{
    double score[POP3_CAUSE_COUNT] = {0};
    for (uint32_t d = m->first; d != NONE; d = rd->downloads[d].next) {
        const rd_download *cur = &rd->downloads[d];
        if (cur->next == NONE)
            break;
        earlier_download(rd, cur, score);
        consecutive(rd, cur, &rd->downloads[cur->next], score);
    }
    unsigned n = 0;
    for (unsigned id = 0; id < POP3_CAUSE_COUNT; id++)
        if (score[id] > 0.0)
            out[n++] = (rd_cause){id, score[id]};
    for (unsigned i = 1; i < n; i++) /* insertion sort, best first, ties by table order */
        for (unsigned k = i; k > 0 && out[k].score > out[k - 1].score; k--) {
            rd_cause t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    return n;
}

/* ---- the groups, worst first ---- */

typedef struct rank {
    uint32_t n, index;
} rank;

static int by_downloads(const void *a, const void *b)
{
    const rank *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void redownload_finish(redownload *rd)
{
    free(rd->order);
    rd->order = NULL;
    rd->norder = 0;
    rank *r = malloc(((size_t)rd->nmsgs + 1) * sizeof *r);
    if (!r)
        return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < rd->nmsgs; i++)
        if (rd->msgs[i].n >= 2)
            r[n++] = (rank){rd->msgs[i].n, i};
    qsort(r, n, sizeof *r, by_downloads);
    rd->order = malloc(((size_t)n + 1) * sizeof *rd->order);
    if (rd->order) {
        for (uint32_t i = 0; i < n; i++)
            rd->order[i] = r[i].index;
        rd->norder = n;
    }
    free(r);
}

unsigned redownload_count(const redownload *rd)
{
    return rd->norder;
}

const rd_message *redownload_message(const redownload *rd, unsigned i)
{
    return i < rd->norder ? &rd->msgs[rd->order[i]] : NULL;
}

const rd_download *redownload_download(const redownload *rd, uint32_t i)
{
    return i < rd->ndownloads ? &rd->downloads[i] : NULL;
}

const rd_session *redownload_session_at(const redownload *rd, uint32_t i)
{
    return i < rd->nsessions ? &rd->sessions[i] : NULL;
}

const char *redownload_mailbox(const redownload *rd, uint32_t i)
{
    return names_get(&rd->boxes, i);
}

const char *redownload_client(const redownload *rd, uint32_t i)
{
    return names_get(&rd->clients, i);
}

uint64_t redownload_not_kept(const redownload *rd)
{
    return rd->not_kept;
}

/* ---- concurrent mailboxes ---- */

unsigned redownload_nmailboxes(const redownload *rd)
{
    return rd->nconc;
}

unsigned redownload_mailbox_sessions(const redownload *rd, unsigned i, uint32_t *out,
                                     unsigned *total)
{
    uint32_t box = rd->concurrent_boxes[i];
    unsigned n = rd->box[box].concurrent, k = n;
    *total = n;
    /* the chain runs newest first: fill from the end, keeping the oldest REDOWNLOAD_LISTED */
    for (uint32_t s = rd->box[box].last; s != NONE && k > 0; s = rd->sessions[s].prev) {
        if (!rd->sessions[s].concurrent)
            continue;
        k--;
        if (k < REDOWNLOAD_LISTED)
            out[k] = s;
    }
    return n < REDOWNLOAD_LISTED ? n : REDOWNLOAD_LISTED;
}

unsigned redownload_late_flagged(const redownload *rd, unsigned *had_no_flags)
{
    unsigned n = 0;
    *had_no_flags = 0;
    for (uint32_t i = 0; i < rd->nsessions; i++) {
        const rd_session *s = &rd->sessions[i];
        if (s->concurrent && !s->written) {
            n++;
            *had_no_flags += s->flags == 0;
        }
    }
    return n;
}
