/* report pop3: one finished POP3 session as a JSON line (with "protocol":"pop3") or a text
 * block in the style of an SMTP session's, its totals, and the summary's "pop3" object. */
#include <inttypes.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

static const char *side(int dir)
{
    return dir == FLOW_CLIENT ? "client" : dir == FLOW_SERVER ? "server" : NULL;
}

static const char *sign_name(int v)
{
    return v > 0 ? "+OK" : v < 0 ? "-ERR" : NULL;
}

static const char *login_method(int m)
{
    return m == 'U' ? "user" : m == 'A' ? "apop" : m == 'S' ? "auth" : NULL;
}

static const char *text_or_null(const char *s)
{
    return s[0] ? s : NULL;
}

static void count_pop3(pop3_totals *t, const pop3_report *s)
{
    t->sessions++;
    t->flagged += s->flags != 0;
    t->tls += s->tls;
    t->retrieved += s->count.retrieved;
    t->complete += s->count.retrieved_complete;
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        t->per_flag[i] += (s->flags >> i) & 1;
}

/* ---- JSON ---- */

static void json_msg(json *j, const pop3_msg *m)
{
    char hex[33];
    correlate_digest_hex(m->digest, hex);
    json_begin_object(j);
    json_field_uint(j, "number", m->number);
    json_field_str(j, "message_id", text_or_null(m->message_id));
    json_field_str(j, "uidl", m->uidl_known ? m->uidl : NULL);
    json_field_uint_or_null(j, "size", m->retrieved || m->top, m->octets);
    json_field_uint_or_null(j, "list_size", m->has_list, m->list_size);
    json_field_bool(j, "retr", m->retrieved);
    json_field_bool(j, "top", m->top);
    json_field_bool(j, "complete", m->complete);
    json_field_bool(j, "deleted", m->deleted);
    json_field_bool(j, "committed", m->committed);
    json_field_uint(j, "body_bytes", m->body_bytes);
    json_field_str(j, "digest", m->has_digest ? hex : NULL);
    json_field_frame_or_null(j, "frame", m->retrieved || m->top, m->retr_at.frame);
    json_end_object(j);
}

static void json_where_ended(json *j, const pop3_report *s)
{
    json_field_str(j, "end_reason", flow_end_name(s->end_reason));
    json_field_str(j, "closed_by", side(s->closed_by));
    json_field_frame_or_null(j, "frame", s->end_frame != 0, s->end_frame);
}

static void json_uncommitted(json *j, const pop3_report *s)
{
    json_key(j, "pop3_dele_uncommitted");
    json_begin_object(j);
    json_key(j, "messages");
    json_begin_array(j);
    for (unsigned i = 0; i < s->nmsgs; i++) {
        const pop3_msg *m = &s->msgs[i];
        if (!m->deleted || m->committed)
            continue;
        json_begin_object(j);
        json_field_uint(j, "number", m->number);
        json_field_str(j, "message_id", text_or_null(m->message_id));
        json_field_str(j, "uidl", m->uidl_known ? m->uidl : NULL);
        json_field_frame(j, "dele_frame", m->dele_at.frame);
        json_end_object(j);
    }
    json_end_array(j);
    json_field_uint(j, "not_kept", s->count.deleted_not_kept);
    json_field_bool(j, "quit", s->quit);
    json_field_str(j, "quit_reply", sign_name(s->quit_reply));
    json_where_ended(j, s);
    json_end_object(j);
}

static const pop3_msg *find_msg(const pop3_report *s, uint32_t n)
{
    for (unsigned i = 0; i < s->nmsgs; i++)
        if (s->msgs[i].number == n)
            return &s->msgs[i];
    return NULL;
}

static void json_cut(json *j, const pop3_report *s)
{
    const pop3_msg *m = find_msg(s, s->cut_number);
    json_key(j, "pop3_retr_cut");
    json_begin_object(j);
    json_field_str(j, "command", s->cut_top ? "TOP" : "RETR");
    json_field_uint(j, "number", s->cut_number);
    json_field_str(j, "message_id", m ? text_or_null(m->message_id) : NULL);
    json_field_str(j, "uidl", m && m->uidl_known ? m->uidl : NULL);
    json_field_uint(j, "octets", s->cut_octets);
    json_field_uint_or_null(j, "list_size", m && m->has_list, m ? m->list_size : 0);
    json_where_ended(j, s);
    json_end_object(j);
}

static void json_line_evidence(json *j, const char *key, const char *line, uint64_t frame)
{
    json_key(j, key);
    json_begin_object(j);
    json_field_str(j, "line", line);
    json_field_frame_or_null(j, "frame", frame != 0, frame);
    json_end_object(j);
}

static void json_evidence(json *j, const pop3_report *s)
{
    json_key(j, "evidence");
    json_begin_object(j);
    if (s->flags & POP3_FLAG_DELE_UNCOMMITTED)
        json_uncommitted(j, s);
    if (s->flags & POP3_FLAG_RETR_CUT)
        json_cut(j, s);
    if (s->flags & POP3_FLAG_QUIT_FAILED)
        json_line_evidence(j, "pop3_quit_failed", s->quit_text, s->quit_at.frame);
    if (s->flags & POP3_FLAG_MAILBOX_LOCKED)
        json_line_evidence(j, "pop3_mailbox_locked", s->login_error, s->login_error_at.frame);
    if (s->flags & POP3_FLAG_MISSING_QUIT) {
        json_key(j, "missing_quit");
        json_begin_object(j);
        json_where_ended(j, s);
        json_field_uint(j, "commands", s->count.commands);
        json_end_object(j);
    }
    json_end_object(j);
}

static void json_counts(json *j, const pop3_counters *c)
{
    json_key(j, "counts");
    json_begin_object(j);
    json_field_uint(j, "client_bytes", c->client_bytes);
    json_field_uint(j, "server_bytes", c->server_bytes);
    json_field_uint(j, "encrypted_bytes", c->encrypted_bytes);
    json_field_uint(j, "commands", c->commands);
    json_field_uint(j, "responses", c->responses);
    json_field_uint(j, "unpaired_responses", c->unpaired_responses);
    json_field_uint(j, "long_lines", c->long_lines);
    json_field_uint(j, "bad_lines", c->bad_lines);
    json_field_uint(j, "auth_lines", c->auth_lines);
    json_field_uint(j, "retrieved", c->retrieved);
    json_field_uint(j, "retrieved_complete", c->retrieved_complete);
    json_field_uint(j, "messages_not_kept", c->msgs_not_kept);
    json_field_uint(j, "listed_not_kept", c->listed_not_kept);
    json_field_uint(j, "pipeline_overflow", c->pipeline_overflow);
    json_end_object(j);
}

static void json_session(report *r, const flow_report *f, const pop3_report *s)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "session");
    json_field_str(j, "protocol", "pop3");
    json_field_uint(j, "id", f->id);
    json_field_str(j, "client", f->client);
    json_field_str(j, "server", f->server);
    json_field_str(j, "display_filter", r->display_filter[0] ? r->display_filter : NULL);
    json_field_time(j, "start", s->start);
    json_field_time(j, "end", s->end);
    json_field_str(j, "end_reason", flow_end_name(s->end_reason));
    json_field_str(j, "closed_by", side(s->closed_by));
    json_field_bool(j, "tls", s->tls);
    json_field_bool(j, "stls", s->stls);
    json_field_bool(j, "non_pop3", s->non_pop3);
    report_limits_session_json(j, s->snaplen_cut, s->implicit_tls);
    report_json_flag_list(j, s->flags, POP3_FLAG_COUNT, pop3_flag_name);
    json_field_str(j, "greeting", s->greeting ? s->greeting_text : NULL);
    json_field_str(j, "mailbox", text_or_null(s->mailbox));
    json_field_str(j, "login_method", login_method(s->login_method));
    json_field_str(j, "login", sign_name(s->login));
    json_field_bool(j, "quit", s->quit);
    json_field_str(j, "quit_reply", sign_name(s->quit_reply));
    json_key(j, "retrieved");
    json_begin_array(j);
    for (unsigned i = 0; i < s->nmsgs; i++)
        json_msg(j, &s->msgs[i]);
    json_end_array(j);
    json_evidence(j, s);
    json_counts(j, &s->count);
    json_end_object(j);
    report_json_session_line(r);
}

/* ---- text ---- */

static void text_msg(report *r, const pop3_msg *m)
{
    char mid[POP3_TEXT_MAX * 4], uidl[POP3_UIDL_MAX * 4];
    escape_str(mid, sizeof mid, m->message_id[0] ? m->message_id : "-");
    escape_str(uidl, sizeof uidl, m->uidl_known ? m->uidl : "-");
    fprintf(r->out, "  message %" PRIu32 ": %s uidl %s", m->number, mid, uidl);
    if (m->retrieved || m->top)
        fprintf(r->out, ", %s %" PRIu64 " octets%s", m->retrieved ? "RETR" : "TOP", m->octets,
                m->complete ? "" : " (cut)");
    if (m->deleted)
        fprintf(r->out, ", deleted%s", m->committed ? " and committed" : ", not committed");
    fputc('\n', r->out);
}

static void text_transcript(report *r, const pop3_report *s)
{
    fprintf(r->out, "  transcript:     frame     time\n");
    for (unsigned i = 0; i < s->nlines; i++) {
        if (i == s->nhead && s->dropped_lines)
            fprintf(r->out, "    ... %u lines not kept ...\n", s->dropped_lines);
        const pop3_tline *t = &s->lines[i];
        report_transcript_line(r->out, t->frame, t->ts - s->start, t->dir, t->text);
    }
}

static void text_login(report *r, const pop3_report *s)
{
    char box[POP3_TEXT_MAX * 4], err[POP3_TRANSCRIPT_TEXT * 4];
    escape_str(box, sizeof box, s->mailbox[0] ? s->mailbox : "-");
    const char *how = login_method(s->login_method);
    fprintf(r->out, "  mailbox: %s  login: %s%s%s\n", box,
            s->login > 0   ? "ok"
            : s->login < 0 ? "refused"
                           : "not seen",
            how ? " by " : "", how ? how : "");
    if (s->login < 0) {
        escape_str(err, sizeof err, s->login_error);
        fprintf(r->out, "    refused in frame %s: %s\n",
                report_frame_ref(s->login_error_at.frame).s, err);
    }
}

static void text_session(report *r, const flow_report *f, const pop3_report *s, int full)
{
    char start[40];
    report_format_time(start, sizeof start, s->start);
    fprintf(r->out, "session %" PRIu64 "  %s -> %s  POP3  %s UTC  %.3f s  ended: %s%s%s\n", f->id,
            f->client, f->server, start, (double)(s->end - s->start) / 1e6,
            flow_end_name(s->end_reason), s->closed_by >= 0 ? " by " : "",
            s->closed_by >= 0 ? side(s->closed_by) : "");
    report_session_sensor_text(r);
    report_display_filter_text(r);
    if (s->tls && !s->implicit_tls && (!s->flags || full))
        fprintf(r->out, "  (encrypted%s)\n", s->stls ? " after STLS" : "");
    report_limits_session_text(r, "POP3", s->snaplen_cut, s->snaplen_cut_frame, s->implicit_tls);
    if (!s->flags && !full)
        return;
    fprintf(r->out, "  flags:%s", s->flags ? "" : " none");
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            fprintf(r->out, " %s", pop3_flag_name(i));
    fputc('\n', r->out);
    text_login(r, s);
    for (unsigned i = 0; i < s->nmsgs; i++)
        text_msg(r, &s->msgs[i]);
    if (s->cut_inside)
        fprintf(r->out, "  cut inside %s %" PRIu32 " after %" PRIu64 " octets\n",
                s->cut_top ? "TOP" : "RETR", s->cut_number, s->cut_octets);
    text_transcript(r, s);
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            report_advice(r->out, pop3_flag_name(i), pop3_flag(i)->advice);
    fputc('\n', r->out);
}

void report_pop3_session(report *r, const flow_report *f)
{
    /* a copy (its arrays shared) to carry pop3_concurrent_mailbox when the correlator knows it
     * now: an earlier session it overlapped was written already and is counted at the end */
    pop3_report copy = *(const pop3_report *)f->report;
    const pop3_report *s = &copy;
    redownload_set_sink(r->rd, report_redownload_leaving, r);
    if (redownload_session(r->rd, f->id, f->client, f->server, s))
        copy.flags |= POP3_FLAG_CONCURRENT_MAILBOX;
    count_pop3(&r->pop3, s);
    report_limits_count(r, PROTO_POP3, s->snaplen_cut, s->implicit_tls);
    report_html_pop3(r, f, s);
    if (r->quiet)
        return;
    if (r->fmt == REPORT_JSON)
        json_session(r, f, s);
    else if (s->flags || r->verbose || s->snaplen_cut)
        text_session(r, f, s, 0);
}

void report_pop3_session_text(FILE *out, const flow_report *f)
{
    report tmp = {.out = out, .fmt = REPORT_TEXT, .verbose = 1};
    report_fill_display_filter(&tmp, f);
    text_session(&tmp, f, f->report, 1);
}

/* ---- summary ---- */

/* "correlation":{...}: what the POP3 correlator let go (the window and memory are the SMTP
 * correlator's figures, applied to each separately). */
static void json_pop3_correlation(report *r)
{
    rd_counts c;
    redownload_counts(r->rd, &c);
    json *j = &r->j;
    json_key(j, "correlation");
    json_begin_object(j);
    json_field_uint(j, "expired", c.expired);
    json_field_uint(j, "sessions_expired", c.sessions_expired);
    json_field_uint(j, "groups_expired", c.groups_expired);
    json_field_uint(j, "peak_bytes", c.peak);
    json_end_object(j);
}

static void text_pop3_correlation(report *r)
{
    rd_counts c;
    redownload_counts(r->rd, &c);
    if (!c.sessions_expired)
        return;
    fprintf(r->out,
            "  pop3 correlation: %" PRIu64 " sessions and their %" PRIu64 " downloads let go "
            "(older than the %.0f s window, or past %" PRIu64 " MiB), %" PRIu64 " re-downloaded "
            "messages written before the end as they left; downloads further apart are not "
            "grouped (raise --dup-window / --dup-memory)\n",
            c.sessions_expired, c.expired, (double)r->window / 1e6, r->memory >> 20,
            c.groups_expired);
}

void report_pop3_summary_json(report *r)
{
    json *j = &r->j;
    const pop3_totals *t = &r->pop3;
    json_key(j, "pop3");
    json_begin_object(j);
    json_field_uint(j, "sessions", t->sessions);
    json_field_uint(j, "flagged", t->flagged);
    report_json_flag_counts(j, t->per_flag, POP3_FLAG_COUNT, pop3_flag_name);
    json_field_uint(j, "tls", t->tls);
    json_field_uint(j, "retrieved", t->retrieved);
    json_field_uint(j, "retrieved_complete", t->complete);
    json_pop3_correlation(r);
    json_end_object(j);
}

void report_pop3_summary_text(report *r)
{
    const pop3_totals *t = &r->pop3;
    if (!t->sessions)
        return;
    fprintf(r->out,
            "  pop3      %" PRIu64 " sessions, %" PRIu64 " flagged, %" PRIu64 " encrypted, %" PRIu64
            " messages retrieved (%" PRIu64 " complete)\n",
            t->sessions, t->flagged, t->tls, t->retrieved, t->complete);
    for (unsigned i = 0; i < POP3_FLAG_COUNT; i++)
        if (t->per_flag[i])
            fprintf(r->out, "  %-23s %" PRIu64 " session%s\n", pop3_flag_name(i), t->per_flag[i],
                    t->per_flag[i] == 1 ? "" : "s");
    text_pop3_correlation(r);
}
