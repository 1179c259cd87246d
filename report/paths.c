/* report paths: what the correlator found is not a duplicate — mail loops, relay paths and
 * per-recipient copies (fan-out) — as JSON objects and as a text section each, plus their
 * lines in the triage summary. */
#include <inttypes.h>

#include "base/escape.h"
#include "report/internal.h"

/* A gateway capture makes a relay path of every message, a newsletter thousands of copies:
 * the text lists the first few. */
enum { TEXT_PATHS_MAX = 20, TEXT_COPIES_MAX = 10 };

static const corr_attempt *member(const report *r, const corr_path *p, unsigned i)
{
    return correlate_attempt(r->corr, p->members[i]);
}

static const char *host(const report *r, uint32_t index)
{
    const char *h = correlate_host(r->corr, index);
    return h ? h : "?";
}

/* "198.51.100.7 -> 192.0.2.10:25" */
static void hop_text(const report *r, const corr_attempt *a, char *out, size_t cap)
{
    snprintf(out, cap, "%s -> %s", host(r, a->client), host(r, a->server));
}

/* ---- JSON ---- */

typedef void (*emit_fn)(json *j, const report *r, const corr_attempt *a);

static void emit_session(json *j, const report *r, const corr_attempt *a)
{
    (void)r;
    json_uint(j, a->session);
}

static void emit_txn(json *j, const report *r, const corr_attempt *a)
{
    (void)r;
    json_uint(j, a->txn);
}

static void emit_received(json *j, const report *r, const corr_attempt *a)
{
    (void)r;
    json_uint(j, a->received);
}

static void emit_server(json *j, const report *r, const corr_attempt *a)
{
    json_str(j, host(r, a->server));
}

static void emit_hop(json *j, const report *r, const corr_attempt *a)
{
    char hop[600];
    hop_text(r, a, hop, sizeof hop);
    json_str(j, hop);
}

static void emit_rcpt(json *j, const report *r, const corr_attempt *a)
{
    json_str(j, correlate_rcpt(r->corr, a->rcpt_name));
}

static void emit_nrcpt(json *j, const report *r, const corr_attempt *a)
{
    (void)r;
    json_uint(j, a->nrcpt);
}

/* "key":[...] with one value per attempt of the path. */
static void json_members(json *j, const report *r, const corr_path *p, const char *key,
                         emit_fn emit)
{
    json_key(j, key);
    json_begin_array(j);
    for (unsigned i = 0; i < p->n; i++)
        emit(j, r, member(r, p, i));
    json_end_array(j);
}

static void json_head(json *j, const char *type, const corr_path *p, const char *count)
{
    json_begin_object(j);
    json_field_str(j, "type", type);
    json_field_str(j, "message_id", p->message_id);
    json_field_uint(j, count, p->n);
}

static void json_loop(report *r, const corr_path *p)
{
    json *j = &r->j;
    json_head(j, "loop", p, "hops");
    json_members(j, r, p, "servers", emit_server);
    json_members(j, r, p, "received_headers", emit_received);
    json_members(j, r, p, "sessions", emit_session);
    json_field_str(j, "cause", smtp_cause_name(CAUSE_MAIL_LOOP));
    json_field_str(j, "fix", smtp_cause_fix(CAUSE_MAIL_LOOP));
    json_end_object(j);
    report_json_line(r);
}

static void json_relay(report *r, const corr_path *p)
{
    json *j = &r->j;
    json_head(j, "relay_path", p, "hops");
    json_members(j, r, p, "path", emit_hop);
    json_members(j, r, p, "sessions", emit_session);
    json_members(j, r, p, "received_headers", emit_received);
    json_key(j, "delays");
    json_begin_array(j);
    for (unsigned i = 1; i < p->n; i++)
        json_seconds(j, correlate_held(member(r, p, i - 1), member(r, p, i)));
    json_end_array(j);
    json_end_object(j);
    report_json_line(r);
}

static void json_fanout(report *r, const corr_path *p)
{
    json *j = &r->j;
    json_head(j, "fanout", p, "copies");
    json_members(j, r, p, "rcpts", emit_rcpt);
    json_members(j, r, p, "rcpt_counts", emit_nrcpt);
    json_members(j, r, p, "sessions", emit_session);
    json_members(j, r, p, "transactions", emit_txn);
    json_end_object(j);
    report_json_line(r);
}

static void (*const json_emit[CORR_PATH_KINDS])(report *, const corr_path *) = {
    [CORR_LOOP] = json_loop, [CORR_RELAY] = json_relay, [CORR_FANOUT] = json_fanout};

void report_paths_json(report *r)
{
    void (*const *emit)(report *, const corr_path *) = json_emit;
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++)
        for (unsigned i = 0; i < correlate_npaths(r->corr, k); i++)
            emit[k](r, correlate_path(r->corr, k, i));
}

/* ---- text ---- */

static void text_message(report *r, const corr_path *p, const char *what)
{
    char mid[SMTP_TEXT_MAX * 4];
    escape_str(mid, sizeof mid, p->message_id ? p->message_id : "(no Message-ID)");
    fprintf(r->out, "  message %s, %u %s\n", mid, p->n, what);
}

/* One line per hop: session, client -> server, Received: count, the reply. */
static void text_hops(report *r, const corr_path *p, int held)
{
    char hop[600], clean[sizeof hop * 4];
    for (unsigned i = 0; i < p->n; i++) {
        const corr_attempt *a = member(r, p, i);
        hop_text(r, a, hop, sizeof hop);
        escape_str(clean, sizeof clean, hop);
        fprintf(r->out, "    session %" PRIu32 ": %s, Received: %u, ", a->session, clean,
                a->received);
        a->reply ? fprintf(r->out, "reply %u", a->reply) : fprintf(r->out, "no reply");
        if (held && i)
            fprintf(r->out, ", held %.3f s by the relay before it",
                    (double)correlate_held(member(r, p, i - 1), a) / 1e6);
        fputc('\n', r->out);
    }
}

static void text_fanout(report *r, const corr_path *p)
{
    text_message(r, p, "copies");
    fprintf(r->out, "    ");
    for (unsigned i = 0; i < p->n && i < TEXT_COPIES_MAX; i++) {
        const corr_attempt *a = member(r, p, i);
        const char *to = correlate_rcpt(r->corr, a->rcpt_name);
        char clean[SMTP_TEXT_MAX * 4];
        escape_str(clean, sizeof clean, to ? to : "?");
        fprintf(r->out, "%s%s%s in session %" PRIu32, i ? "; " : "", clean,
                a->nrcpt > 1 ? " and others" : "", a->session);
    }
    if (p->n > TEXT_COPIES_MAX)
        fprintf(r->out, "; %u more copies", p->n - TEXT_COPIES_MAX);
    fputc('\n', r->out);
}

static void text_path(report *r, corr_path_kind kind, const corr_path *p)
{
    if (kind == CORR_FANOUT) {
        text_fanout(r, p);
        return;
    }
    text_message(r, p, "hops");
    text_hops(r, p, kind == CORR_RELAY);
}

static const char *const heading[CORR_PATH_KINDS] = {
    [CORR_LOOP] = "Mail loops: %u message%s going round between servers, Received: growing",
    [CORR_RELAY] = "Relay paths: %u message%s carried on from hop to hop (not duplicates)",
    [CORR_FANOUT] = ("Fan-out: %u message%s sent as copies for different recipients (not "
                     "duplicates)")};

void report_paths_text(report *r)
{
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++) {
        unsigned n = correlate_npaths(r->corr, k);
        if (!n)
            continue;
        fprintf(r->out, heading[k], n, n == 1 ? "" : "s");
        fputc('\n', r->out);
        for (unsigned i = 0; i < n && i < TEXT_PATHS_MAX; i++)
            text_path(r, k, correlate_path(r->corr, k, i));
        if (n > TEXT_PATHS_MAX)
            fprintf(r->out, "  ... and %u more (--json lists them all)\n", n - TEXT_PATHS_MAX);
        if (k == CORR_LOOP)
            report_advice(r->out, "fix", smtp_cause_fix(CAUSE_MAIL_LOOP));
        fputc('\n', r->out);
    }
}

/* A path found as its group left the correlation window: written at once, as it is not
 * kept for the end. */
void report_path_now(report *r, const corr_path *p)
{
    if (r->fmt == REPORT_JSON) {
        json_emit[p->kind](r, p);
        return;
    }
    fprintf(r->out, "%s (left the correlation window):\n",
            p->kind == CORR_LOOP    ? "Mail loop"
            : p->kind == CORR_RELAY ? "Relay path"
                                    : "Fan-out");
    text_path(r, p->kind, p);
}

/* ---- triage ---- */

static void triage_loop(report *r, const corr_path *p)
{
    char mid[SMTP_TEXT_MAX * 4];
    const corr_attempt *first = member(r, p, 0), *last = member(r, p, p->n - 1);
    escape_str(mid, sizeof mid, p->message_id ? p->message_id : "(no Message-ID)");
    fprintf(r->out,
            "- Message %s is going round in a mail loop: %u hops between %s and %s, Received: "
            "%u to %u. Fix: %s.\n",
            mid, p->n, host(r, first->client), host(r, first->server_host), first->received,
            last->received, smtp_cause_fix(CAUSE_MAIL_LOOP));
}

void report_paths_triage(report *r)
{
    unsigned loops = correlate_npaths(r->corr, CORR_LOOP);
    for (unsigned i = 0; i < loops && i < REPORT_TRIAGE_GROUPS; i++)
        triage_loop(r, correlate_path(r->corr, CORR_LOOP, i));
    if (loops > REPORT_TRIAGE_GROUPS)
        fprintf(r->out, "- %u more messages going round in mail loops (see Mail loops).\n",
                loops - REPORT_TRIAGE_GROUPS);
    unsigned relays = correlate_npaths(r->corr, CORR_RELAY);
    unsigned copies = correlate_npaths(r->corr, CORR_FANOUT);
    if (relays)
        fprintf(r->out,
                "- %u message%s passed a relay in this capture (its inbound and outbound "
                "sessions): not duplicates.\n",
                relays, relays == 1 ? "" : "s");
    if (copies)
        fprintf(r->out,
                "- %u message%s sent as separate copies for different recipients: not "
                "duplicates.\n",
                copies, copies == 1 ? "" : "s");
}
