/* workers: processes, pipes, records and the merge. See workers.h. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "cli/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/map.h"
#include "pipeline/pipeline.h"

/* ---- records: a header, then the payload, the whole a multiple of 8 bytes long so that a
 * packed report lands 8-byte aligned in the reader's buffer ---- */

typedef struct rec_head {
    uint32_t len; /* the whole record */
    uint32_t type;
    reasm_position at;
} rec_head;

#define REC_MAX (64u << 20) /* no report packs to more: anything longer is a broken stream */
#define PROGRESS_EVERY 1024 /* frames between progress records */
#define WRITE_BUF (256u << 10)

static size_t padded(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static const reasm_position not_an_event = {UINT64_MAX, UINT32_MAX, UINT64_MAX, INT64_MAX};

/* ---- the worker's side ---- */

struct wk_writer {
    int fd;
    int eager;                                   /* live: every record goes out at once */
    void (*emit)(void *ctx, const wk_record *r); /* or NULL: to fd */
    void *emit_ctx;
    int failed;
    uint8_t *buf;
    size_t len, cap;
    uint64_t next_local, last_progress;
};

static void write_all(wk_writer *w, const uint8_t *p, size_t n)
{
    while (n > 0 && !w->failed) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->failed = 1; /* the parent is gone: nothing more to say */
            return;
        }
        p += k;
        n -= (size_t)k;
    }
}

/* Each record in the buffer to the writer's emit. */
static void emit_all(wk_writer *w)
{
    for (size_t off = 0; off + sizeof(rec_head) <= w->len;) {
        rec_head h;
        memcpy(&h, w->buf + off, sizeof h);
        wk_record r = {h.type, h.at, w->buf + off + sizeof h, h.len - sizeof h};
        w->emit(w->emit_ctx, &r);
        off += h.len;
    }
}

static void flush(wk_writer *w)
{
    if (w->emit)
        emit_all(w);
    else
        write_all(w, w->buf, w->len);
    w->len = 0;
}

/* Room for n more bytes at the end of the buffer; NULL when out of memory. */
static uint8_t *reserve(wk_writer *w, size_t n)
{
    if (w->len + n > w->cap)
        flush(w);
    if (n > w->cap) {
        uint8_t *b = realloc(w->buf, n);
        if (!b)
            return NULL;
        w->buf = b;
        w->cap = n;
    }
    return w->buf + w->len;
}

static void commit(wk_writer *w, size_t n)
{
    w->len += n;
    if (w->eager)
        flush(w);
}

/* A record of payload bytes: the payload is written by the caller at the pointer returned. */
static uint8_t *begin(wk_writer *w, uint32_t type, const reasm_position *at, size_t payload)
{
    size_t total = padded(sizeof(rec_head) + payload);
    uint8_t *p = reserve(w, total);
    if (!p)
        return NULL;
    rec_head h;
    memset(&h, 0, sizeof h); /* the padding inside goes down the pipe too */
    h.len = (uint32_t)total;
    h.type = type;
    const reasm_position *where = at ? at : &not_an_event;
    h.at.frame = where->frame;
    h.at.phase = where->phase;
    h.at.sub = where->sub;
    h.at.usec = where->usec;
    memcpy(p, &h, sizeof h);
    memset(p + sizeof h, 0, total - sizeof h);
    return p + sizeof h;
}

/* src into dst[cap], cut to fit: once a session, so not through snprintf. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

uint64_t wk_start(wk_writer *w, const reasm_position *at)
{
    uint64_t id = ++w->next_local;
    uint8_t *p = begin(w, WK_REC_START, at, sizeof id);
    if (p) {
        memcpy(p, &id, sizeof id);
        commit(w, padded(sizeof(rec_head) + sizeof id));
    }
    return id;
}

void wk_session(wk_writer *w, const reasm_position *at, const flow_report *f)
{
    const analyser *an = pipeline_analyser(f->proto);
    size_t packed = an->pack(f->report, NULL, 0);
    uint8_t *p = begin(w, WK_REC_SESSION, at, sizeof(wk_session_head) + packed);
    if (!p)
        return;
    wk_session_head s = {
        .id = f->id, .proto = f->proto, .first_frame = f->first_frame, .last_frame = f->last_frame};
    copy_text(s.client, sizeof s.client, f->client);
    copy_text(s.server, sizeof s.server, f->server);
    memcpy(p, &s, sizeof s);
    an->pack(f->report, p + sizeof s, packed);
    commit(w, padded(sizeof(rec_head) + sizeof s + packed));
}

void wk_blob(wk_writer *w, const reasm_position *at, int type, const void *data, size_t len)
{
    uint64_t n = len;
    uint8_t *p = begin(w, (uint32_t)type, at, sizeof n + len);
    if (!p)
        return;
    memcpy(p, &n, sizeof n);
    memcpy(p + sizeof n, data, len);
    commit(w, padded(sizeof(rec_head) + sizeof n + len));
}

void wk_progress(wk_writer *w, uint64_t frame)
{
    if (w->eager || frame - w->last_progress < PROGRESS_EVERY)
        return;
    w->last_progress = frame;
    reasm_position at = {frame, UINT32_MAX, UINT64_MAX, 0};
    if (begin(w, WK_REC_PROGRESS, &at, 0)) {
        w->len += sizeof(rec_head);
        flush(w); /* the merge waits for this worker to get past the frame */
    }
}

wk_writer *wk_writer_new(void (*emit)(void *ctx, const wk_record *r), void *ctx)
{
    wk_writer *w = calloc(1, sizeof *w);
    if (w && !(w->buf = malloc(WRITE_BUF)))
        w = (free(w), NULL);
    if (w) {
        w->fd = -1;
        w->eager = 1;
        w->cap = WRITE_BUF;
        w->emit = emit;
        w->emit_ctx = ctx;
    }
    return w;
}

void wk_writer_free(wk_writer *w)
{
    if (w)
        free(w->buf);
    free(w);
}

/* ---- processes ---- */

static pid_t pids[WORKERS_MAX];
static volatile sig_atomic_t started;
static pid_t parent;

void workers_stop(void)
{
    if (getpid() != parent)
        return; /* a worker that has not installed its own handler yet */
    for (sig_atomic_t i = 0; i < started; i++)
        kill(pids[i], SIGTERM);
}

typedef struct source {
    int fd, eof;
    uint8_t *buf;
    size_t off, len, cap;
    wk_next_fn next; /* or NULL: a worker's pipe */
    void *next_ctx;
    unsigned index;
    int failed; /* its reader said an error */
} source;

static int run_worker(unsigned i, int fd, int eager, wk_main_fn fn, void *ctx, source *src)
{
    for (unsigned j = 0; j < i; j++)
        close(src[j].fd); /* the other workers' pipes are the parent's business */
    wk_writer w = {.fd = fd, .eager = eager, .cap = WRITE_BUF};
    w.buf = malloc(w.cap);
    if (!w.buf)
        return 2;
    int rc = fn(ctx, i, &w);
    flush(&w);
    free(w.buf);
    close(fd);
    return rc;
}

static int spawn(unsigned n, int eager, wk_main_fn fn, void *ctx, source *src, char *err,
                 size_t errlen)
{
    parent = getpid();
    fflush(NULL); /* nothing buffered may be written twice */
    for (unsigned i = 0; i < n; i++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
            return snprintf(err, errlen, "cannot start workers: %s", strerror(errno)), -1;
        fcntl(fds[0], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; the default works too */
        pid_t pid = fork();
        if (pid < 0) {
            close(fds[0]);
            close(fds[1]);
            return snprintf(err, errlen, "cannot start workers: %s", strerror(errno)), -1;
        }
        if (pid == 0) {
            close(fds[0]);
            exit(run_worker(i, fds[1], eager, fn, ctx, src));
        }
        close(fds[1]);
        src[i].fd = fds[0];
        pids[i] = pid;
        started = (sig_atomic_t)(i + 1);
    }
    return 0;
}

/* ---- reading what the workers send ---- */

static int fill_from_reader(source *s);
static int source_room(source *s, size_t n);

/* Reads what the pipe has (a reader: its next record); 0, or -1 when the record being read is
 * too long. */
static int fill(source *s)
{
    if (s->next)
        return fill_from_reader(s);
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    size_t need = s->len + sizeof(rec_head);
    if (s->len >= sizeof(rec_head)) {
        rec_head h;
        memcpy(&h, s->buf, sizeof h);
        need = h.len > s->len ? h.len : s->len + 1;
    }
    if (need > REC_MAX || source_room(s, need - s->len > 4096 ? need - s->len : 4096) < 0)
        return -1;
    ssize_t k;
    do
        k = read(s->fd, s->buf + s->len, s->cap - s->len);
    while (k < 0 && errno == EINTR);
    if (k <= 0)
        s->eof = 1;
    else
        s->len += (size_t)k;
    return 0;
}

/* Room for n more bytes at the end of a source's buffer; -1 when out of memory. */
static int source_room(source *s, size_t n)
{
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    if (s->cap - s->len >= n)
        return 0;
    size_t cap = s->cap ? s->cap : WRITE_BUF;
    while (cap - s->len < n)
        cap *= 2;
    uint8_t *b = realloc(s->buf, cap);
    if (!b)
        return -1;
    s->buf = b;
    s->cap = cap;
    return 0;
}

/* A record as a worker would have sent it, at the end of s's buffer. */
static int append_record(source *s, const wk_record *r)
{
    size_t total = padded(sizeof(rec_head) + r->len);
    if (total > REC_MAX || source_room(s, total) < 0)
        return -1;
    rec_head h;
    memset(&h, 0, sizeof h);
    h.len = (uint32_t)total;
    h.type = r->type;
    h.at = r->at;
    uint8_t *p = s->buf + s->len;
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, r->payload, r->len);
    memset(p + sizeof h + r->len, 0, total - sizeof h - r->len);
    s->len += total;
    return 0;
}

/* A reader's source: its next record, or its end. -1 on a reader's error (said by it) or a
 * record too long. */
static int fill_from_reader(source *s)
{
    wk_record r;
    unsigned i = s->index;
    int k = s->next(s->next_ctx, &i, &r);
    if (k <= 0) {
        s->eof = 1;
        s->failed = k < 0;
        return 0;
    }
    return append_record(s, &r);
}

/* The complete record at the reading point, or NULL. */
static const rec_head *head(const source *s)
{
    size_t have = s->len - s->off;
    if (have < sizeof(rec_head))
        return NULL;
    const rec_head *h = (const rec_head *)(s->buf + s->off);
    return h->len <= have ? h : NULL;
}

static int well_formed(const rec_head *h)
{
    return h->len >= sizeof(rec_head) && h->len % 8 == 0 && h->len <= REC_MAX;
}

/* ---- the merge ---- */

typedef struct merge {
    const wk_handlers *h;
    source *src;
    unsigned n;
    uint64_t next_id;
    map ids; /* (worker, its number) -> the merged number, while the session is open */
    wk_order order;
    const char *source_name; /* in messages: "worker", "input" */
    char *err;
    size_t errlen;
    int broken;
} merge;

static uint64_t id_key(unsigned worker, uint64_t local)
{
    return (uint64_t)(worker + 1) << 56 | (local & ((1ull << 56) - 1));
}

static void broken(merge *m, unsigned worker, const char *what)
{
    if (!m->broken)
        snprintf(m->err, m->errlen, "%s %u: %s", m->source_name, worker + 1, what);
    m->broken = 1;
}

static void deliver_session(merge *m, unsigned worker, const rec_head *h)
{
    size_t payload = h->len - sizeof *h;
    wk_session_head s;
    const void *r;
    if (payload < sizeof s) {
        broken(m, worker, "short session record");
        return;
    }
    uint8_t *p = (uint8_t *)(h + 1);
    memcpy(&s, p, sizeof s);
    s.client[sizeof s.client - 1] = s.server[sizeof s.server - 1] = '\0';
    uint64_t id = 0;
    map_remove(&m->ids, id_key(worker, s.id), NULL, NULL, &id);
    if (m->h->record) { /* before unpacking, which turns offsets into pointers in place */
        memcpy(p, &id, sizeof id); /* the record as the merged run numbers it */
        wk_record rec = {h->type, h->at, p, payload};
        m->h->record(m->h->ctx, &rec);
    }
    const analyser *an = s.proto < PROTO_COUNT ? pipeline_analyser((proto_id)s.proto) : NULL;
    if (!an || an->unpack(p + sizeof s, payload - sizeof s, &r) < 0) {
        broken(m, worker, "damaged session record");
        return;
    }
    flow_report f = {id, s.client, s.server, (proto_id)s.proto, r, s.first_frame, s.last_frame};
    m->h->session(m->h->ctx, worker, &f);
}

static void deliver(merge *m, unsigned worker, const rec_head *h)
{
    const uint8_t *p = (const uint8_t *)(h + 1);
    size_t payload = h->len - sizeof *h;
    uint64_t n;
    switch (h->type) {
    case WK_REC_PROGRESS:
        return;
    case WK_REC_START:
        if (payload < sizeof n) {
            broken(m, worker, "short start record");
            return;
        }
        memcpy(&n, p, sizeof n);
        if (map_add(&m->ids, id_key(worker, n), ++m->next_id) < 0)
            broken(m, worker, "out of memory");
        if (m->h->record) {
            wk_record rec = {h->type, h->at, &m->next_id, sizeof m->next_id};
            m->h->record(m->h->ctx, &rec);
        }
        return;
    case WK_REC_SESSION:
        deliver_session(m, worker, h);
        return;
    default:
        if (payload < sizeof n || (memcpy(&n, p, sizeof n), n > payload - sizeof n)) {
            broken(m, worker, "short record");
            return;
        }
        if (m->h->record) {
            wk_record rec = {h->type, h->at, p, payload};
            m->h->record(m->h->ctx, &rec);
        }
        m->h->blob(m->h->ctx, worker, (int)h->type, p + sizeof n, (size_t)n);
    }
}

static int before(wk_order order, const reasm_position *a, const reasm_position *b)
{
    /* different captures' frame numbers say nothing of each other: their times do */
    if (order == WK_BY_TIME && a->usec != b->usec)
        return a->usec < b->usec;
    if (a->frame != b->frame)
        return a->frame < b->frame;
    if (a->phase != b->phase)
        return a->phase < b->phase;
    return a->sub < b->sub;
}

/* Takes the record at s's reading point, when complete and sound. */
static const rec_head *next_record(merge *m, unsigned i)
{
    const rec_head *h = head(&m->src[i]);
    if (h && !well_formed(h)) {
        broken(m, i, "damaged record");
        m->src[i].eof = 1;
        return NULL;
    }
    return h;
}

/* Every worker reads every frame, so each sends its records in capture order: the merge
 * takes the earliest head, and waits for a worker only while it has nothing pending. */
static void merge_ordered(merge *m)
{
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < m->n; i++) {
            source *s = &m->src[i];
            while (!s->eof && !next_record(m, i))
                if (fill(s) < 0)
                    broken(m, i, "record too long"), s->eof = 1;
            const rec_head *h = next_record(m, i);
            if (h && (best < 0 ||
                      before(m->order, &h->at, &((const rec_head *)head(&m->src[best]))->at)))
                best = (int)i;
        }
        if (best < 0)
            return;
        const rec_head *h = head(&m->src[best]);
        deliver(m, (unsigned)best, h);
        m->src[best].off += h->len;
    }
}

/* Live: workers see different packets; records are taken as they come. */
static void merge_arrival(merge *m)
{
    struct pollfd pfd[WORKERS_MAX];
    for (;;) {
        nfds_t k = 0;
        unsigned who[WORKERS_MAX];
        for (unsigned i = 0; i < m->n; i++)
            if (!m->src[i].eof) {
                pfd[k] = (struct pollfd){m->src[i].fd, POLLIN, 0};
                who[k++] = i;
            }
        if (k == 0)
            return;
        if (poll(pfd, k, -1) < 0)
            continue; /* EINTR: a signal, which the workers were told about */
        for (nfds_t j = 0; j < k; j++) {
            if (!pfd[j].revents)
                continue;
            unsigned i = who[j];
            if (fill(&m->src[i]) < 0)
                broken(m, i, "record too long"), m->src[i].eof = 1;
            const rec_head *h;
            while ((h = next_record(m, i)) != NULL) {
                deliver(m, i, h);
                m->src[i].off += h->len;
            }
        }
    }
}

/* One stream of several sources' records: each delivered as it is read. */
static void merge_as_read(merge *m, wk_next_fn next, void *ctx)
{
    for (;;) {
        wk_record r;
        unsigned i = 0;
        int k = next(ctx, &i, &r);
        if (k < 0)
            m->broken = 1;
        if (k <= 0 || m->broken)
            return;
        source *s = &m->src[i < m->n ? i : 0];
        if (i >= m->n || append_record(s, &r) < 0) {
            broken(m, i, i >= m->n ? "no such source" : "record too long");
            return;
        }
        const rec_head *h = next_record(m, i);
        if (h) {
            deliver(m, i, h);
            s->off += h->len;
        }
    }
}

int workers_merge(unsigned n, wk_order order, wk_next_fn next, void *ctx, const wk_handlers *h,
                  char *err, size_t errlen)
{
    source src[WORKERS_MAX];
    memset(src, 0, sizeof src);
    merge m = {.h = h,
               .src = src,
               .n = n,
               .order = order,
               .err = err,
               .errlen = errlen,
               .source_name = "input"};
    if (n < 1 || n > WORKERS_MAX)
        return snprintf(err, errlen, "1 to %d sources", WORKERS_MAX), -1;
    err[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        src[i] = (source){.fd = -1, .next = next, .next_ctx = ctx, .index = i};
    if (order == WK_AS_READ)
        merge_as_read(&m, next, ctx);
    else
        merge_ordered(&m);
    for (unsigned i = 0; i < n; i++) {
        m.broken |= src[i].failed;
        free(src[i].buf);
    }
    map_free(&m.ids);
    return m.broken ? -1 : 0;
}

/* Waits for every worker; a worker that died is an error. */
static int reap(unsigned n, merge *m)
{
    int killed = 0;
    for (unsigned i = 0; i < n; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
            ;
        /* A worker that died is the cause of any broken record it left: say that. */
        if (WIFSIGNALED(status) && !killed) {
            killed = 1;
            snprintf(m->err, m->errlen, "worker %u was killed by signal %d (%s)", i + 1,
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
            m->broken = 1;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !m->broken) {
            snprintf(m->err, m->errlen, "worker %u stopped with status %d", i + 1,
                     WEXITSTATUS(status));
            m->broken = 1;
        }
    }
    started = 0;
    return m->broken ? -1 : 0;
}

int workers_run(unsigned n, int ordered, wk_main_fn fn, void *ctx, const wk_handlers *h, char *err,
                size_t errlen)
{
    source src[WORKERS_MAX];
    memset(src, 0, sizeof src);
    merge m = {.h = h, .src = src, .n = 0, .err = err, .errlen = errlen, .source_name = "worker"};
    if (n < 1 || n > WORKERS_MAX)
        return snprintf(err, errlen, "--workers: 1 to %d", WORKERS_MAX), -1;
    int rc = spawn(n, !ordered, fn, ctx, src, err, errlen);
    m.n = (unsigned)started;
    if (rc == 0 && h->started)
        h->started(h->ctx);
    if (rc < 0) {
        workers_stop();
        m.broken = 1;
    }
    if (ordered)
        merge_ordered(&m);
    else
        merge_arrival(&m);
    for (unsigned i = 0; i < m.n; i++) {
        if (src[i].len > src[i].off)
            broken(&m, i, "ended in the middle of a record");
        close(src[i].fd);
        free(src[i].buf);
    }
    rc = reap(m.n, &m);
    map_free(&m.ids);
    return rc;
}
