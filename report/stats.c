/* report stats: the periodic --stats line, a snapshot of the run's counters between the
 * session lines (JSON or one text line). */
#include <inttypes.h>

#include "base/escape.h"
#include "report/internal.h"

static void flags_json(json *j, const char *key, const uint64_t *counts, unsigned n,
                       const char *(*name)(unsigned))
{
    json_key(j, key);
    json_begin_object(j);
    for (unsigned i = 0; i < n; i++) {
        json_key(j, name(i));
        json_uint(j, counts[i]);
    }
    json_end_object(j);
}

static void stats_json(report *r, const report_stats_line *s, const report_counts *c)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "stats");
    json_field_time(j, "time", s->time);
    json_field_bool(j, "final", s->final);
    json_key(j, "packets");
    json_begin_object(j);
    json_field_uint(j, "read", s->packets);
    json_field_uint(j, "matched", s->matched);
    json_end_object(j);
    json_key(j, "dropped");
    json_begin_object(j);
    json_field_uint(j, "kernel", s->drops);
    json_field_uint(j, "interface", s->if_drops);
    json_end_object(j);
    json_key(j, "sessions");
    json_begin_object(j);
    json_field_uint(j, "open", s->open_sessions);
    json_field_uint(j, "ended", c->sessions);
    json_field_uint(j, "flagged", c->flagged);
    json_field_uint(j, "smtp", c->smtp_sessions);
    json_field_uint(j, "pop3", c->pop3_sessions);
    json_end_object(j);
    json_key(j, "flags");
    json_begin_object(j);
    flags_json(j, "smtp", c->smtp_flags, SMTP_FLAG_COUNT, smtp_flag_name);
    flags_json(j, "pop3", c->pop3_flags, POP3_FLAG_COUNT, pop3_flag_name);
    json_end_object(j);
    json_field_uint(j, "not_analysed", c->not_analysed);
    json_field_uint(j, "connect_failed", c->connects_failed);
    json_field_uint(j, "duplicate_groups", c->dup_groups);
    json_key(j, "correlation");
    json_begin_object(j);
    json_field_uint(j, "expired", c->correlation_expired);
    json_field_uint(j, "bytes", c->correlation_bytes);
    json_end_object(j);
    if (json_key_or_null(j, "interface", s->interface != NULL)) {
        json_begin_object(j);
        json_field_str(j, "name", s->interface);
        json_field_str(j, "state", s->interface_state);
        json_end_object(j);
    }
    json_field_uint(j, "rss_bytes", s->resident_bytes);
    json_end_object(j);
    report_json_line(r);
}

/* " name N" for each flag counted so far. */
static void flags_text(FILE *out, const uint64_t *counts, unsigned n, const char *(*name)(unsigned))
{
    for (unsigned i = 0; i < n; i++)
        if (counts[i])
            fprintf(out, " %s %" PRIu64, name(i), counts[i]);
}

static void stats_text(report *r, const report_stats_line *s, const report_counts *c)
{
    char when[64];
    report_format_time(when, sizeof when, s->time);
    fprintf(r->out,
            "stats%s: %s packets %" PRIu64 " read %" PRIu64 " matched, dropped %" PRIu64
            " kernel %" PRIu64 " interface, sessions %" PRIu64 " open %" PRIu64 " ended %" PRIu64
            " flagged, %" PRIu64 " not analysed, %" PRIu64
            " connects failed, duplicate groups %" PRIu64 ", correlation %" PRIu64
            " expired %" PRIu64 " bytes, rss %" PRIu64 " bytes",
            s->final ? " (final)" : "", when, s->packets, s->matched, s->drops, s->if_drops,
            s->open_sessions, c->sessions, c->flagged, c->not_analysed, c->connects_failed,
            c->dup_groups, c->correlation_expired, c->correlation_bytes, s->resident_bytes);
    if (s->interface) {
        char name[4 * 64 + 1]; /* any bytes but '/' and spaces make an interface name */
        escape_str(name, sizeof name, s->interface);
        fprintf(r->out, ", interface %s %s", name, s->interface_state);
    }
    fprintf(r->out, "; flags");
    flags_text(r->out, c->smtp_flags, SMTP_FLAG_COUNT, smtp_flag_name);
    flags_text(r->out, c->pop3_flags, POP3_FLAG_COUNT, pop3_flag_name);
    if (!c->flagged)
        fprintf(r->out, " none");
    fprintf(r->out, "\n");
}

void report_stats(report *r, const report_stats_line *s)
{
    report_counts c;
    report_get_counts(r, &c);
    if (r->fmt == REPORT_JSON)
        stats_json(r, s, &c);
    else
        stats_text(r, s, &c);
}
