/* record: the lines a --sensor run adds for --merge: each event of the run (a session begun,
 * ended, a failed connection...) where it happened, its bytes as base64 (cli/ makes and reads
 * them), and one line first naming the run. */
#include "report/internal.h"

void report_record_run(report *r, const report_run *run)
{
    if (r->fmt != REPORT_JSON)
        return;
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "record");
    json_field_str(j, "kind", "run");
    json_field_str(j, "version", run->version);
    json_field_uint(j, "layout", run->layout);
    json_field_str(j, "source", run->source);
    json_key(j, "partition");
    if (run->nparts) {
        json_begin_array(j);
        json_uint(j, run->part);
        json_uint(j, run->nparts);
        json_end_array(j);
    } else {
        json_null(j);
    }
    json_key(j, "files");
    json_begin_array(j);
    for (unsigned i = 0; i < run->nfiles; i++)
        json_str(j, run->files[i]);
    json_end_array(j);
    json_end_object(j);
    report_json_line(r);
}

void report_record(report *r, const char *kind, const uint64_t at[3], int64_t usec,
                   const void *data, size_t len)
{
    if (r->fmt != REPORT_JSON)
        return;
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "record");
    json_field_str(j, "kind", kind);
    json_key(j, "at");
    json_begin_array(j);
    for (int i = 0; i < 3; i++)
        json_uint(j, at[i]);
    json_int(j, usec);
    json_end_array(j);
    json_field_base64(j, "data", data, len);
    json_end_object(j);
    report_json_line(r);
}
