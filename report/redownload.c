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
#include "report/report.h"

_Static_assert(sizeof(rd_session) == 48, "rd_session is 48 bytes");
_Static_assert(sizeof(rd_download) == 32, "rd_download is 32 bytes");
_Static_assert(sizeof(rd_message) == 64, "rd_message is 64 bytes");

#define NONE UINT32_MAX

/* Sessions and downloads live in rings, as the SMTP correlator's attempts do: serial s at
 * s & (cap - 1), the live ones [oldest, next); serials are 32-bit and wrap (differences stay
 * right), and UINT32_MAX is never handed out (it is the chains' end): that slot holds a hole.
 * A serial stays valid while its record is held, so the chains (a mailbox's sessions, a
 * message's downloads) need no fixing when the oldest go. Rings rather than two generations
 * swapped: dropping a generation lets go of up to half the window at once, a ring exactly what
 * is older than the window. Downloads are recorded right after their session, so the oldest
 * session's downloads are the oldest downloads: both go together. Messages live in slots
 * reused once free; the key map files each under its slot and its first download's serial, so
 * an entry whose message left is stale and not believed (no key is stored to take it back),
 * and the map is rebuilt without such entries once it holds four per message held. */

typedef struct rd_box {
    uint32_t last;       /* its latest session held; NONE */
    uint32_t concurrent; /* sessions flagged concurrent */
    int64_t first, end;  /* the first start and last end of those */
} rd_box;

typedef struct ring {
    uint32_t oldest, next, cap;
} ring;

struct redownload {
    rd_session *sessions;
    ring s;
    rd_download *downloads;
    ring d;
    rd_message *msgs;
    uint32_t nmsgs, mcap, live_msgs;
    uint32_t *free_msgs; /* free slots of msgs */
    uint32_t nfree, fcap;
    map keys;      /* hash of (mailbox, kind, identity) -> filed() */
    names boxes;   /* USER@SERVERADDRESS */
    names clients; /* client addresses */
    rd_box *box;   /* per boxes index */
    uint32_t nbox, boxcap;
    uint32_t *concurrent_boxes;
    uint32_t nconc, ccap;
    uint32_t *order; /* messages downloaded twice or more, worst first */
    uint32_t norder;
    uint32_t late, late_no_flags; /* flagged concurrent after their line was written */
    /* the window (redownload_set_window) and what it let go */
    int64_t window, now; /* usec; now: the latest session's end */
    uint64_t budget;     /* bytes; 0: none */
    uint64_t heap;       /* bytes of the messages' strings */
    uint64_t peak, expired, sessions_expired, groups_expired;
    rd_leave_fn leave;
    void *leave_ctx;
};

static uint32_t live(const ring *r)
{
    return r->next - r->oldest;
}

/* Serial i is held: it is in [oldest, next), wrap or not. */
static int held(const ring *r, uint32_t i)
{
    return i - r->oldest < live(r);
}

static rd_session *session_of(const redownload *rd, uint32_t serial)
{
    return &rd->sessions[serial & (rd->s.cap - 1)];
}

static rd_download *download_of(const redownload *rd, uint32_t serial)
{
    return &rd->downloads[serial & (rd->d.cap - 1)];
}

void redownload_set_window(redownload *rd, int64_t window, uint64_t budget)
{
    rd->window = window;
    rd->budget = budget;
}

/* Serials start this far before they wrap, so that every run past a few thousand sessions
 * goes through the wrap and the hole at UINT32_MAX (the unit tests do), not only one of
 * four billion. */
#define FIRST_SERIAL ((uint32_t)-4096)

/* With the report's default window and budget (report_new sets them before it makes rd). */
redownload *redownload_new(void)
{
    redownload *rd = calloc(1, sizeof(redownload));
    if (!rd)
        return NULL;
    redownload_set_window(rd, REPORT_DUP_WINDOW, REPORT_DUP_MEMORY);
    rd->s.oldest = rd->s.next = rd->d.oldest = rd->d.next = FIRST_SERIAL;
    return rd;
}

static void free_strings(rd_message *m)
{
    free(m->message_id);
    free(m->uidl);
    m->message_id = m->uidl = NULL;
}

void redownload_free(redownload *rd)
{
    if (!rd)
        return;
    for (uint32_t i = 0; i < rd->nmsgs; i++)
        free_strings(&rd->msgs[i]);
    free(rd->sessions);
    free(rd->downloads);
    free(rd->msgs);
    free(rd->free_msgs);
    map_free(&rd->keys);
    names_free(&rd->boxes);
    names_free(&rd->clients);
    free(rd->box);
    free(rd->concurrent_boxes);
    free(rd->order);
    free(rd);
}

void redownload_set_sink(redownload *rd, rd_leave_fn fn, void *ctx)
{
    rd->leave = fn;
    rd->leave_ctx = ctx;
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

static uint64_t strings_of(const rd_message *m)
{
    return (m->message_id ? strlen(m->message_id) + 1 : 0) + (m->uidl ? strlen(m->uidl) + 1 : 0);
}

/* What the correlator holds: the rings and slots at their capacity, the key map, the
 * messages' strings, the name tables and the per-mailbox records. */
static uint64_t held_bytes(const redownload *rd)
{
    return (uint64_t)rd->s.cap * sizeof(rd_session) + (uint64_t)rd->d.cap * sizeof(rd_download) +
           (uint64_t)rd->mcap * sizeof(rd_message) + (uint64_t)rd->fcap * sizeof(uint32_t) +
           rd->keys.cap * sizeof(map_slot) + rd->heap + names_bytes(&rd->boxes) +
           names_bytes(&rd->clients) + (uint64_t)rd->boxcap * sizeof(rd_box) +
           (uint64_t)rd->ccap * sizeof(uint32_t);
}

/* ---- the keys: (slot, first download's serial) of a message ---- */

static uint64_t filed(uint32_t slot, uint32_t first)
{
    return (uint64_t)first << 32 | slot;
}

/* The slot a map value names, when its message is still the one filed (else NONE). */
static uint32_t slot_of(const redownload *rd, uint64_t v)
{
    uint32_t slot = (uint32_t)v;
    if (slot >= rd->nmsgs || !rd->msgs[slot].n || rd->msgs[slot].first != (uint32_t)(v >> 32))
        return NONE;
    return slot;
}

/* The key map again with only the entries of messages held: it shrinks with them. A stale
 * entry would only be believed after 2^32 downloads, and the map is rebuilt long before. */
static void sweep_keys(redownload *rd)
{
    map kept = {0};
    for (size_t i = 0; i < rd->keys.cap; i++) {
        const map_slot *e = &rd->keys.slot[i];
        if (e->key && slot_of(rd, e->value) != NONE && map_add(&kept, e->key, e->value) < 0) {
            map_free(&kept);
            return; /* out of memory: the old map still works */
        }
    }
    map_free(&rd->keys);
    rd->keys = kept;
}

static int keys_mostly_stale(const redownload *rd)
{
    return rd->keys.used > 4 * (uint64_t)rd->live_msgs + 1024;
}

/* ---- letting go: the oldest session and its downloads ---- */

static void free_message(redownload *rd, uint32_t slot)
{
    rd_message *m = &rd->msgs[slot];
    rd->heap -= strings_of(m);
    free_strings(m);
    m->n = 0;
    rd->live_msgs--;
    if (grow((void **)&rd->free_msgs, sizeof(uint32_t), &rd->fcap, rd->nfree + 1) == 0)
        rd->free_msgs[rd->nfree++] = slot;
}

/* The oldest download goes; a message it began leaves with it, handed over final when it was
 * downloaded again (its later downloads stay until their sessions go, in no message). */
static void retire_download(redownload *rd)
{
    uint32_t serial = rd->d.oldest;
    const rd_download *d = download_of(rd, serial);
    rd_message *m = d->msg < rd->nmsgs ? &rd->msgs[d->msg] : NULL;
    if (m && m->n && m->first == serial) {
        if (m->n >= 2 && rd->leave) {
            rd->leave(rd->leave_ctx, rd, m);
            rd->groups_expired++;
        }
        free_message(rd, d->msg);
    }
    rd->d.oldest++;
    rd->expired += d->msg != NONE; /* a hole is no download */
}

static void retire_session(redownload *rd)
{
    uint32_t serial = rd->s.oldest;
    while (live(&rd->d) && download_of(rd, rd->d.oldest)->session == serial)
        retire_download(rd);
    const rd_session *s = session_of(rd, serial);
    if (s->mailbox != NONE && rd->box[s->mailbox].last == serial)
        rd->box[s->mailbox].last = NONE;
    rd->s.oldest++;
    rd->sessions_expired += s->mailbox != NONE;
}

static int past_window(const redownload *rd)
{
    return rd->window && live(&rd->s) && session_of(rd, rd->s.oldest)->end < rd->now - rd->window;
}

/* ---- the rings ---- */

/* A ring of size-byte records doubled, each held record moved to its place under the new
 * mask. */
static int double_ring(void **p, size_t size, ring *r)
{
    uint32_t cap = r->cap ? r->cap * 2 : 256;
    char *q = malloc((size_t)cap * size);
    if (!q)
        return -1;
    for (uint32_t i = r->oldest; i != r->next; i++)
        memcpy(q + (size_t)(i & (cap - 1)) * size, (char *)*p + (size_t)(i & (r->cap - 1)) * size,
               size);
    free(*p);
    *p = q;
    r->cap = cap;
    return 0;
}

/* Bytes doubling a ring of cap records costs, with what its records bring along: a download
 * may bring a message and its keys (the map at most 3/4 full, doubling). */
enum { SESSION_COST = sizeof(rd_session), DOWNLOAD_COST = sizeof(rd_download) + 192 };

static int may_grow(const redownload *rd, uint32_t cap, uint64_t per_record)
{
    if (cap >= REDOWNLOAD_MAX_DOWNLOADS)
        return 0;
    return !rd->budget || held_bytes(rd) + (cap ? cap : 256) * per_record <= rd->budget;
}

/* Room for one more session and need more downloads: the rings double while the budget
 * allows, else the oldest sessions go. 0, or -1 when there is none (out of memory). */
static int make_room(redownload *rd, uint32_t need)
{
    for (;;) {
        int s_full = live(&rd->s) + 2 > rd->s.cap, d_full = live(&rd->d) + need > rd->d.cap;
        if (!s_full && !d_full)
            return 0;
        if (s_full && may_grow(rd, rd->s.cap, SESSION_COST) &&
            double_ring((void **)&rd->sessions, sizeof(rd_session), &rd->s) == 0)
            continue;
        if (d_full && !s_full && may_grow(rd, rd->d.cap, DOWNLOAD_COST) &&
            double_ring((void **)&rd->downloads, sizeof(rd_download), &rd->d) == 0)
            continue;
        if (!live(&rd->s))
            return -1;
        retire_session(rd);
    }
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
        rd->box[rd->nbox++] = (rd_box){NONE, 0, INT64_MAX, INT64_MIN};
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

/* Flags s, a session of mailbox box; one whose line was written already (not the newest) is
 * counted for the summary. */
static void mark_concurrent(redownload *rd, rd_session *s, uint32_t box, int written)
{
    if (s->concurrent)
        return;
    s->concurrent = 1;
    if (written) {
        rd->late++;
        rd->late_no_flags += s->flags == 0;
    }
    rd_box *b = &rd->box[box];
    b->first = s->start < b->first ? s->start : b->first;
    b->end = s->end > b->end ? s->end : b->end;
    if (b->concurrent++ == 0 &&
        grow((void **)&rd->concurrent_boxes, sizeof(uint32_t), &rd->ccap, rd->nconc + 1) == 0)
        rd->concurrent_boxes[rd->nconc++] = box;
}

/* Compares the new session with the mailbox's latest ones from other clients still held:
 * both are flagged when they overlap. 1 when the new one is. */
static int find_overlap(redownload *rd, uint32_t si)
{
    rd_session *s = session_of(rd, si);
    uint32_t p = s->prev;
    for (unsigned k = 0; p != NONE && held(&rd->s, p) && k < REDOWNLOAD_OVERLAP_LOOKBACK;
         k++, p = session_of(rd, p)->prev) {
        rd_session *o = session_of(rd, p);
        if (o->client == s->client || !overlaps(o, s))
            continue;
        mark_concurrent(rd, o, s->mailbox, 1);
        mark_concurrent(rd, s, s->mailbox, 0);
    }
    return s->concurrent;
}

/* The next serial of r, its slot cleared; UINT32_MAX is passed over (a hole, made by hole). */
static uint32_t take_serial(ring *r, void *records, size_t size, void (*hole)(void *))
{
    if (r->next == NONE) {
        hole((char *)records + (size_t)(r->next & (r->cap - 1)) * size);
        r->next++;
    }
    return r->next++;
}

static void session_hole(void *p)
{
    *(rd_session *)p = (rd_session){.mailbox = NONE, .client = NONE, .prev = NONE};
}

static uint32_t add_session(redownload *rd, uint64_t id, uint32_t box, uint32_t client,
                            const pop3_report *s)
{
    uint32_t si = take_serial(&rd->s, rd->sessions, sizeof(rd_session), session_hole);
    rd_session *r = session_of(rd, si);
    *r = (rd_session){.start = s->start,
                      .end = s->end,
                      .id = id,
                      .mailbox = box,
                      .client = client,
                      .prev = rd->box[box].last,
                      .end_frame = report_frame_pack32(s->end_frame),
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

/* Keyed by the mailbox's name, not its index: the names are rebuilt, the keys stay. */
static uint64_t key_of(const redownload *rd, uint32_t box, char kind, const void *p, size_t len)
{
    const char *name = names_get(&rd->boxes, box);
    uint8_t buf[1 + POP3_TEXT_MAX];
    len = len < POP3_TEXT_MAX ? len : POP3_TEXT_MAX;
    buf[0] = (uint8_t)kind;
    memcpy(buf + 1, p, len);
    return map_key(XXH3_64bits_withSeed(buf, 1 + len, XXH3_64bits(name, strlen(name))));
}

/* The keys a message is filed under: its UIDL's, its Message-ID's; the digest's only without
 * a Message-ID, since distinct messages may share a body (a form letter, a test run) and one
 * message may reach a mailbox twice with one Message-ID, told apart by the UIDL. */
typedef struct idkeys {
    uint64_t uidl, mid, digest; /* 0: none */
} idkeys;

static idkeys keys_of(const redownload *rd, uint32_t box, const pop3_msg *m)
{
    idkeys k = {0, 0, 0};
    if (m->uidl_known && m->uidl[0])
        k.uidl = key_of(rd, box, 'U', m->uidl, strlen(m->uidl));
    if (m->message_id[0])
        k.mid = key_of(rd, box, 'M', m->message_id, strlen(m->message_id));
    else if (m->has_digest)
        k.digest = key_of(rd, box, 'D', m->digest, sizeof m->digest);
    return k;
}

static uint32_t filed_under(const redownload *rd, uint64_t key)
{
    uint64_t *v = key ? map_find(&rd->keys, key, NULL, NULL) : NULL;
    return v ? slot_of(rd, *v) : NONE;
}

/* Files key under message slot mi unless a held message has it; a stale entry is taken. */
static void file_under(redownload *rd, uint64_t key, uint32_t mi)
{
    if (!key)
        return;
    int added;
    uint64_t *v = map_upsert(&rd->keys, key, &added);
    if (v && (added || slot_of(rd, *v) == NONE))
        *v = filed(mi, rd->msgs[mi].first);
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

/* A free message slot, else one more (the slots grow while the budget allows, else the
 * oldest downloads before di, the one being recorded, go until one is free). NONE when there
 * is none. */
static uint32_t new_slot(redownload *rd, uint32_t di)
{
    while (!rd->nfree && rd->nmsgs == rd->mcap && rd->budget &&
           held_bytes(rd) + (uint64_t)(rd->mcap ? rd->mcap : 64) * sizeof(rd_message) >
               rd->budget &&
           rd->d.oldest != di)
        retire_download(rd);
    if (rd->nfree)
        return rd->free_msgs[--rd->nfree];
    if (grow((void **)&rd->msgs, sizeof *rd->msgs, &rd->mcap, rd->nmsgs + 1) < 0)
        return NONE;
    return rd->nmsgs++;
}

/* The message a download (serial di) belongs to, or a new one; its keys filed under it. */
static uint32_t message_for(redownload *rd, uint32_t box, const pop3_msg *m, uint32_t di)
{
    idkeys k = keys_of(rd, box, m);
    if (!k.uidl && !k.mid && !k.digest)
        return NONE;
    uint32_t mi = find_message(rd, &k);
    if (mi == NONE) {
        mi = new_slot(rd, di);
        if (mi == NONE)
            return NONE;
        rd->msgs[mi] = (rd_message){.first = di, .last = NONE, .mailbox = box};
        rd->live_msgs++;
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
static void keep_identity(redownload *rd, rd_message *g, const pop3_msg *m)
{
    if (m->has_digest && !g->has_digest) {
        memcpy(g->digest, m->digest, sizeof g->digest);
        g->has_digest = 1;
    }
    if (g->n < 2)
        return;
    rd->heap -= strings_of(g);
    if (!g->message_id)
        g->message_id = dup_or_null(m->message_id, 1);
    if (!g->uidl)
        g->uidl = dup_or_null(m->uidl, m->uidl_known);
    rd->heap += strings_of(g);
}

static void download_hole(void *p)
{
    *(rd_download *)p = (rd_download){.session = NONE, .next = NONE, .msg = NONE};
}

static void add_download(redownload *rd, uint32_t si, uint32_t box, const pop3_msg *m)
{
    uint32_t di = take_serial(&rd->d, rd->downloads, sizeof(rd_download), download_hole);
    if (di == 0 && held(&rd->d, NONE))
        download_of(rd, NONE)->session = si; /* the hole goes with this session */
    uint32_t mi = message_for(rd, box, m, di);
    if (mi == NONE) {
        rd->d.next--; /* not correlated: its serial is taken back */
        return;
    }
    *download_of(rd, di) = (rd_download){.time = m->retr_at.ts,
                                         .session = si,
                                         .next = NONE,
                                         .frame = report_frame_pack32(m->retr_at.frame),
                                         .dele_frame = report_frame_pack32(m->dele_at.frame),
                                         .msg = mi,
                                         .deleted = m->deleted,
                                         .committed = m->committed,
                                         .top = !m->retrieved};
    rd_message *g = &rd->msgs[mi];
    if (g->last != NONE)
        download_of(rd, g->last)->next = di;
    g->last = di;
    g->n++;
    keep_identity(rd, g, m);
}

/* ---- the name tables rebuilt ---- */

/* Mailbox i of the old table in the new one (its box record carried over); NONE when gone. */
static uint32_t carry_box(const names *old, const rd_box *old_box, names *boxes, rd_box **box,
                          uint32_t *nbox, uint32_t *cap, uint32_t i)
{
    uint32_t k = names_carry(old, boxes, i);
    if (k == NONE || grow((void **)box, sizeof **box, cap, k + 1) < 0)
        return NONE;
    if (k == *nbox) {
        (*box)[k] = old_box[i];
        (*box)[k].last = NONE;
        (*nbox)++;
    }
    return k;
}

/* The mailbox and client tables again from what is held: the mailboxes of the sessions and
 * messages held and those with concurrent sessions (reported at the end), the clients of the
 * sessions held. The keys are filed by name and stay. */
static void rebuild_names(redownload *rd)
{
    names boxes = {0}, clients = {0};
    rd_box *box = NULL;
    uint32_t nbox = 0, boxcap = 0;
    uint32_t nconc = 0;
    for (uint32_t i = 0; i < rd->nconc; i++) {
        uint32_t k =
            carry_box(&rd->boxes, rd->box, &boxes, &box, &nbox, &boxcap, rd->concurrent_boxes[i]);
        if (k != NONE) /* else out of memory: the mailbox is no longer listed */
            rd->concurrent_boxes[nconc++] = k;
    }
    rd->nconc = nconc;
    for (uint32_t si = rd->s.oldest; si != rd->s.next; si++) {
        rd_session *s = session_of(rd, si);
        if (s->mailbox == NONE)
            continue; /* a hole */
        s->mailbox = carry_box(&rd->boxes, rd->box, &boxes, &box, &nbox, &boxcap, s->mailbox);
        s->client = names_carry(&rd->clients, &clients, s->client);
        if (s->mailbox != NONE)
            box[s->mailbox].last = si;
    }
    for (uint32_t i = 0; i < rd->nmsgs; i++)
        if (rd->msgs[i].n)
            rd->msgs[i].mailbox =
                carry_box(&rd->boxes, rd->box, &boxes, &box, &nbox, &boxcap, rd->msgs[i].mailbox);
    names_free(&rd->boxes);
    names_free(&rd->clients);
    free(rd->box);
    rd->boxes = boxes;
    rd->clients = clients;
    rd->box = box;
    rd->nbox = nbox;
    rd->boxcap = boxcap;
}

static uint64_t name_bytes(const redownload *rd)
{
    return names_bytes(&rd->boxes) + names_bytes(&rd->clients) +
           (uint64_t)rd->boxcap * sizeof(rd_box);
}

/* Past the budget, the oldest eighth of the sessions goes at a time, the key map is rebuilt
 * without their messages and the name tables when they hold an eighth of it: the work is
 * done once per many sessions, not for each. */
static void keep_budget(redownload *rd)
{
    while (rd->budget && held_bytes(rd) > rd->budget && live(&rd->s)) {
        for (uint32_t n = live(&rd->s) / 8 + 1; n > 0 && live(&rd->s); n--)
            retire_session(rd);
        sweep_keys(rd);
        if (name_bytes(rd) > rd->budget / 8)
            rebuild_names(rd);
    }
}

/* ---- recording a session ---- */

static unsigned downloads_in(const pop3_report *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nmsgs; i++)
        n += is_download(&s->msgs[i]);
    return n;
}

/* What is older than the window goes before a new session is recorded: it groups with
 * nothing past the window. */
static void expire(redownload *rd, int64_t end)
{
    rd->now = end > rd->now ? end : rd->now;
    while (past_window(rd))
        retire_session(rd);
}

/* After each session: the budget kept, the key map rebuilt once mostly stale, the peak. */
static void settle(redownload *rd)
{
    keep_budget(rd);
    if (keys_mostly_stale(rd))
        sweep_keys(rd);
    uint64_t bytes = held_bytes(rd);
    rd->peak = bytes > rd->peak ? bytes : rd->peak;
}

static int record(redownload *rd, uint64_t id, const char *client, const char *server,
                  const pop3_report *s)
{
    expire(rd, s->end);
    if (make_room(rd, downloads_in(s) + 1) < 0)
        return 0;
    uint32_t box = mailbox_name(rd, s->mailbox, server);
    uint32_t cl = client_name(rd, client);
    if (box == NONE || cl == NONE)
        return 0;
    uint32_t si = add_session(rd, id, box, cl, s);
    for (unsigned i = 0; i < s->nmsgs; i++)
        if (is_download(&s->msgs[i]))
            add_download(rd, si, box, &s->msgs[i]);
    int flagged = find_overlap(rd, si);
    session_of(rd, si)->written = (uint8_t)flagged;
    return flagged;
}

int redownload_session(redownload *rd, uint64_t id, const char *client, const char *server,
                       const pop3_report *s)
{
    if (!s->mailbox[0] || s->login <= 0)
        return 0; /* no mailbox was opened: nothing downloaded, nothing to overlap */
    int flagged = record(rd, id, client, server, s);
    settle(rd);
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
    const rd_session *s = session_of(rd, d->session);
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
    const rd_session *x = session_of(rd, a->session), *y = session_of(rd, b->session);
    if (x->client != y->client)
        bump(score, POP3_CAUSE_CONCURRENT, overlaps(x, y) ? 0.9 : 0.6);
}

unsigned redownload_causes(const redownload *rd, const rd_message *m, rd_cause out[])
{
    double score[POP3_CAUSE_COUNT] = {0};
    for (uint32_t d = m->first; d != NONE; d = download_of(rd, d)->next) {
        const rd_download *cur = download_of(rd, d);
        if (cur->next == NONE)
            break;
        earlier_download(rd, cur, score);
        consecutive(rd, cur, download_of(rd, cur->next), score);
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
    return held(&rd->d, i) ? download_of(rd, i) : NULL;
}

const rd_session *redownload_session_at(const redownload *rd, uint32_t i)
{
    return held(&rd->s, i) ? session_of(rd, i) : NULL;
}

const char *redownload_mailbox(const redownload *rd, uint32_t i)
{
    return names_get(&rd->boxes, i);
}

const char *redownload_client(const redownload *rd, uint32_t i)
{
    return names_get(&rd->clients, i);
}

void redownload_counts(const redownload *rd, rd_counts *out)
{
    *out = (rd_counts){.expired = rd->expired,
                       .sessions_expired = rd->sessions_expired,
                       .groups_expired = rd->groups_expired,
                       .bytes = held_bytes(rd),
                       .peak = rd->peak,
                       .sessions = live(&rd->s),
                       .downloads = live(&rd->d),
                       .messages = rd->live_msgs};
}

/* ---- concurrent mailboxes ---- */

unsigned redownload_nmailboxes(const redownload *rd)
{
    return rd->nconc;
}

uint32_t redownload_concurrent_mailbox(const redownload *rd, unsigned i, int64_t *first,
                                       int64_t *last)
{
    const rd_box *b = &rd->box[rd->concurrent_boxes[i]];
    *first = b->first;
    *last = b->end;
    return rd->concurrent_boxes[i];
}

unsigned redownload_mailbox_sessions(const redownload *rd, unsigned i, uint32_t *out,
                                     unsigned *total)
{
    const rd_box *b = &rd->box[rd->concurrent_boxes[i]];
    unsigned n = 0;
    *total = b->concurrent;
    for (uint32_t s = b->last; s != NONE && held(&rd->s, s); s = session_of(rd, s)->prev)
        n += session_of(rd, s)->concurrent;
    /* the chain runs newest first: fill from the end, keeping the oldest REDOWNLOAD_LISTED */
    unsigned k = n;
    for (uint32_t s = b->last; s != NONE && held(&rd->s, s) && k > 0; s = session_of(rd, s)->prev) {
        if (!session_of(rd, s)->concurrent)
            continue;
        k--;
        if (k < REDOWNLOAD_LISTED)
            out[k] = s;
    }
    return n < REDOWNLOAD_LISTED ? n : REDOWNLOAD_LISTED;
}

unsigned redownload_late_flagged(const redownload *rd, unsigned *had_no_flags)
{
    *had_no_flags = rd->late_no_flags;
    return rd->late;
}
