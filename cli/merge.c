/* merge: --merge FILE...: the records of --sensor runs (the "record" lines of their JSON; the
 * rest is skipped) read back with json-c and merged by parallel.c's parent into one report:
 * partitions of one capture in the order one run would have met them, different captures by
 * their frames' times, one input (a stream, a log shipper's file) as read. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/base64.h"
#include "base/escape.h"
#include "cli/app.h"
#include "sniff/sniff.h"

#define MAX_RUNS WORKERS_MAX

typedef struct run {
    char sensor[72];
    char *source; /* as its summary names it */
    unsigned part, nparts;
    char **files; /* several -r files: their names, whose frames are FILE#N */
    unsigned nfiles;
    const char *where; /* its input's name */
    int ended;         /* its counters were read */
} run;

typedef struct input {
    const char *name;
    FILE *f;
    uint64_t line;
    char *text;
    size_t textcap;
    uint8_t *data; /* the last record's payload */
    size_t datacap;
    int run; /* a file's run (the one its first line names), -1 before */
} input;

typedef struct merge_in {
    input *in;
    unsigned n;
    int as_read; /* one input, maybe several runs' lines mixed */
    run runs[MAX_RUNS];
    unsigned nruns;
    int one; /* partitions of one capture */
} merge_in;

static int bad(const input *in, const char *what)
{
    fprintf(stderr, "smtpscope: --merge %s:%" PRIu64 ": %s\n", in->name, in->line, what);
    return -1;
}

static const char *str_field(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* "at":[frame,phase,sub,usec] */
static int read_at(json_object *o, reasm_position *at)
{
    json_object *a, *v[4];
    if (!json_object_object_get_ex(o, "at", &a) || !json_object_is_type(a, json_type_array) ||
        json_object_array_length(a) != 4)
        return -1;
    for (size_t i = 0; i < 4; i++)
        if (!json_object_is_type(v[i] = json_object_array_get_idx(a, i), json_type_int))
            return -1;
    uint64_t phase = json_object_get_uint64(v[1]);
    if (phase > UINT32_MAX)
        return -1;
    *at = (reasm_position){json_object_get_uint64(v[0]), (uint32_t)phase,
                           json_object_get_uint64(v[2]), json_object_get_int64(v[3])};
    return 0;
}

static int read_data(input *in, json_object *o, wk_record *r)
{
    const char *b64 = str_field(o, "data");
    if (!b64)
        return bad(in, "a record without its data");
    size_t len = strlen(b64), need = len / 4 * 3 + 8;
    if (need > in->datacap) {
        uint8_t *d = realloc(in->data, need);
        if (!d)
            return bad(in, "out of memory");
        in->data = d;
        in->datacap = need;
    }
    long n = base64_decode(in->data, in->datacap, b64, len);
    if (n < 0)
        return bad(in, "a record's data is not base64");
    r->payload = in->data;
    r->len = (size_t)n;
    return 0;
}

/* "files":[...]: the run's -r files when several. 0, or -1 when out of memory. */
static int read_files(run *r, json_object *o)
{
    json_object *a;
    if (!json_object_object_get_ex(o, "files", &a) || !json_object_is_type(a, json_type_array))
        return 0;
    size_t n = json_object_array_length(a);
    if (n < 2 || n > SNIFF_MAX_FILES)
        return 0;
    if (!(r->files = calloc(n, sizeof *r->files)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(a, i);
        const char *name =
            json_object_is_type(f, json_type_string) ? json_object_get_string(f) : "";
        if (!(r->files[r->nfiles++] = strdup(name)))
            return -1;
    }
    return 0;
}

/* A run's first line: who wrote the records, from what. */
static int read_run(merge_in *m, input *in, json_object *o)
{
    const char *version = str_field(o, "version"), *source = str_field(o, "source");
    const char *sensor = str_field(o, "sensor");
    json_object *layout, *part;
    char msg[256];
    if (!version || !source || !sensor || !json_object_object_get_ex(o, "layout", &layout) ||
        !json_object_object_get_ex(o, "partition", &part))
        return bad(in, "a run line without its version, layout, source, partition or sensor");
    if (strcmp(version, SMTPSCOPE_VERSION) ||
        json_object_get_uint64(layout) != app_record_layout()) {
        char clean[48 * 4];
        escape_str(clean, sizeof clean, version); /* the file's bytes, to a terminal */
        snprintf(msg, sizeof msg,
                 "records of smtpscope %.48s (this is %s, or another build): merge with the "
                 "version that wrote them",
                 clean, SMTPSCOPE_VERSION);
        return bad(in, msg);
    }
    if (m->nruns == MAX_RUNS)
        return bad(in, "more than " WORKERS_MAX_TEXT " runs to merge");
    run *r = &m->runs[m->nruns];
    memset(r, 0, sizeof *r);
    snprintf(r->sensor, sizeof r->sensor, "%s", sensor);
    if (!(r->source = strdup(source)))
        return bad(in, "out of memory");
    r->where = in->name;
    if (json_object_is_type(part, json_type_array) && json_object_array_length(part) == 2) {
        r->part = (unsigned)json_object_get_uint64(json_object_array_get_idx(part, 0));
        r->nparts = (unsigned)json_object_get_uint64(json_object_array_get_idx(part, 1));
    }
    in->run = (int)m->nruns++;
    if (read_files(r, o) < 0)
        return bad(in, "out of memory");
    return 0;
}

/* The run a record line belongs to: its file's; in a stream, the latest run of its sensor. */
static int run_of(merge_in *m, input *in, json_object *o)
{
    if (!m->as_read)
        return in->run;
    const char *sensor = str_field(o, "sensor");
    for (int i = (int)m->nruns - 1; sensor && i >= 0; i--)
        if (!strcmp(m->runs[i].sensor, sensor))
            return i;
    return -1;
}

/* A record line: its type, place and bytes; 1, or -1 after saying why. */
static int read_record(merge_in *m, input *in, json_object *o, unsigned *src, wk_record *r)
{
    const char *kind = str_field(o, "kind");
    int owner = run_of(m, in, o);
    if (owner < 0)
        return bad(in, "a record before its run's line (not the whole output of a --sensor "
                       "run, or a sensor's lines before it started)");
    if (!kind || !(r->type = app_record_type(kind)))
        return bad(in, "a record of an unknown kind");
    if (read_at(o, &r->at) < 0)
        return bad(in, "a record without its place (\"at\")");
    if (read_data(in, o, r) < 0)
        return -1;
    if (!app_record_fits(r->type, r->payload, r->len))
        return bad(in, "a record whose data is not the size its kind carries");
    if (!strcmp(kind, "totals"))
        m->runs[owner].ended = 1;
    *src = (unsigned)owner;
    return 1;
}

/* A run's line where one may come: 1 when read (runs: the first of a file is wanted), 2 when
 * read in a stream, -1 after saying why. */
static int run_line(merge_in *m, input *in, json_object *o, int runs)
{
    if (runs && in->run < 0)
        return read_run(m, in, o) < 0 ? -1 : 1;
    if (m->as_read)
        return read_run(m, in, o) < 0 ? -1 : 2;
    return bad(in, "a second run in one file: give each run's output as a file of its own");
}

/* The next line of in that matters: a record (1), or with runs its first run line (1); 0 at
 * the end, -1 after saying why. */
static int next_line(merge_in *m, input *in, unsigned *src, wk_record *r, int runs)
{
    for (;;) {
        ssize_t n = getline(&in->text, &in->textcap, in->f);
        if (n < 0)
            return ferror(in->f) ? bad(in, strerror(errno)) : 0;
        in->line++;
        json_object *o = json_tokener_parse(in->text);
        if (!o || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            return bad(in, "not a JSON object (--merge reads the JSON Lines of --sensor runs)");
        }
        const char *type = str_field(o, "type"), *kind = str_field(o, "kind");
        int rc = 2; /* not a record: the next line */
        if (type && !strcmp(type, "record")) {
            if (kind && !strcmp(kind, "run"))
                rc = run_line(m, in, o, runs);
            else if (runs)
                rc = bad(in, "a record before its run's line: not the whole output of a "
                             "--sensor run");
            else
                rc = read_record(m, in, o, src, r);
        }
        json_object_put(o);
        if (rc != 2)
            return rc;
    }
}

/* workers_merge's reader. */
static int next_record(void *ctx, unsigned *src, wk_record *r)
{
    merge_in *m = ctx;
    input *in = &m->in[m->as_read ? 0 : *src];
    return next_line(m, in, src, r, 0);
}

/* Several files: each one run's, its first record line naming it. */
static int read_runs(merge_in *m)
{
    for (unsigned i = 0; i < m->n; i++) {
        int rc = next_line(m, &m->in[i], NULL, NULL, 1);
        if (rc == 0)
            return bad(&m->in[i],
                       "no run's records in it (a --sensor run with --json writes them)");
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int same_files(const run *a, const run *b)
{
    if (a->nfiles != b->nfiles)
        return 0;
    for (unsigned i = 0; i < a->nfiles; i++)
        if (strcmp(a->files[i], b->files[i]))
            return 0;
    return 1;
}

/* Partitions of one capture (each part once): merged in the order one run meets events. */
static int partitions_of_one(const merge_in *m)
{
    for (unsigned i = 0; i < m->nruns; i++) {
        const run *r = &m->runs[i];
        if (!r->nparts || r->nparts != m->runs[0].nparts || strcmp(r->source, m->runs[0].source) ||
            !same_files(r, &m->runs[0]))
            return 0;
        for (unsigned j = 0; j < i; j++)
            if (m->runs[j].part == r->part)
                return fprintf(stderr, "smtpscope: --merge: partition %u/%u twice (%s and %s)\n",
                               r->part, r->nparts, m->runs[j].where, r->where),
                       -1;
    }
    if (m->nruns < m->runs[0].nparts) {
        char clean[1024];
        escape_str(clean, sizeof clean, m->runs[0].source); /* the file's bytes */
        fprintf(stderr,
                "smtpscope: --merge: %u of the %u partitions of %s: the others' flows are not "
                "in the report\n",
                m->nruns, m->runs[0].nparts, clean);
    }
    return 1;
}

/* The summary's source: the capture, or each run's ("a.pcap, b.pcap"). */
static void sources_text(void *ctx, char *out, size_t len)
{
    const merge_in *m = ctx;
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < m->nruns && used < len; i++) {
        int again = 0;
        for (unsigned j = 0; j < i; j++)
            again |= !strcmp(m->runs[j].source, m->runs[i].source);
        if (again || (m->one && i > 0))
            continue;
        int k = snprintf(out + used, len - used, "%s%s", used ? ", " : "", m->runs[i].source);
        used += k < 0 ? 0 : (size_t)k;
    }
    if (!m->nruns)
        snprintf(out, len, "%s", m->in[0].name);
}

/* Different captures: a session is said with its sensor, its frames named as its run named
 * them (FILE#N when it read several files). */
static void before_session(void *ctx, unsigned source, report *rep)
{
    const merge_in *m = ctx;
    const run *r = source < m->nruns ? &m->runs[source] : NULL;
    report_session_sensor(rep, r ? r->sensor : NULL);
    report_frame_files(r ? (const char *const *)r->files : NULL, r ? r->nfiles : 0);
}

/* A run without its counters did not end (a stream cut, a sensor still running). */
static void say_unended(const merge_in *m)
{
    char clean[sizeof m->runs[0].sensor * 4];
    for (unsigned i = 0; i < m->nruns; i++) {
        if (m->runs[i].ended)
            continue;
        escape_str(clean, sizeof clean, m->runs[i].sensor); /* the file's bytes, to a terminal */
        fprintf(stderr,
                "smtpscope: --merge: sensor %s (%s) did not end: its sessions so far are "
                "merged, its packets not counted\n",
                clean, m->runs[i].where);
    }
}

static int open_inputs(merge_in *m, const options *o)
{
    for (unsigned i = 0; i < o->nmerge; i++) {
        input *in = &m->in[i];
        in->name = o->merge_files[i];
        in->run = -1;
        in->f = strcmp(in->name, "-") ? fopen(in->name, "r") : stdin;
        if (!in->f)
            return fprintf(stderr, "smtpscope: --merge '%s': %s\n", in->name, strerror(errno)), -1;
        m->n++;
    }
    return 0;
}

static void close_inputs(merge_in *m)
{
    for (unsigned i = 0; i < m->nruns; i++) {
        for (unsigned k = 0; k < m->runs[i].nfiles; k++)
            free(m->runs[i].files[k]);
        free(m->runs[i].files);
        free(m->runs[i].source);
    }
    for (unsigned i = 0; i < m->n; i++) {
        if (m->in[i].f != stdin)
            fclose(m->in[i].f);
        free(m->in[i].text);
        free(m->in[i].data);
    }
    free(m->in);
}

int app_run_merge(app *a)
{
    merge_in m;
    memset(&m, 0, sizeof m);
    if (a->opt.nmerge > MAX_RUNS)
        return cli_fail("%s", "--merge: at most " WORKERS_MAX_TEXT " files"), EXIT_ERROR;
    m.as_read = a->opt.nmerge == 1;
    if (!(m.in = calloc(a->opt.nmerge, sizeof *m.in)))
        return cli_fail("%s", "out of memory"), EXIT_ERROR;
    int status = EXIT_ERROR;
    if (open_inputs(&m, &a->opt) == 0 && (m.as_read || read_runs(&m) == 0) &&
        (m.as_read || (m.one = partitions_of_one(&m)) >= 0)) {
        wk_order order = m.as_read ? WK_AS_READ : m.one ? WK_BY_POSITION : WK_BY_TIME;
        if (m.as_read)
            setvbuf(stdout, NULL, _IOLBF, 0); /* a stream: each session as it comes */
        const run *first = &m.runs[0];
        app_merge_files files = {m.one ? (const char *const *)first->files : NULL,
                                 m.one ? first->nfiles : 0};
        status = app_merge_records(a, m.as_read ? MAX_RUNS : m.n, order, next_record, &m,
                                   sources_text, before_session, &files);
        say_unended(&m);
    }
    close_inputs(&m);
    return status;
}
