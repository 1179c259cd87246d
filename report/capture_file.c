/* report capture file: where the -w files begin in the frame numbering, so that a frame the
 * report names can be found in the rotated files (-G, -C). */
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

static void capture_file_json(report *r, const char *name, uint64_t first_frame)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "capture_file");
    json_field_str(j, "file", name);
    json_field_frame(j, "first_frame", first_frame);
    json_end_object(j);
    report_json_line(r);
}

void report_capture_file(report *r, const char *name, uint64_t first_frame)
{
    if (r->fmt == REPORT_JSON) {
        capture_file_json(r, name, first_frame);
        return;
    }
    if (r->quiet)
        return; /* the live screen owns the terminal */
    /* a name made by strftime from the command line: escaped as everything written */
    char clean[PATH_MAX * 4];
    escape_str(clean, sizeof clean, name);
    /* several -r files: each file's frames are named after it, not numbered on */
    int rc = report_frame_named() ? fprintf(r->out, "capture file %s: its frame 1 is %s\n", clean,
                                            report_frame_ref(first_frame).s)
                                  : fprintf(r->out, "capture file %s begins at frame %" PRIu64 "\n",
                                            clean, first_frame);
    if (rc < 0)
        r->write_error = 1;
}
