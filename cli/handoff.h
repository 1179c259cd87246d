/* handoff: --extract for a run: the files opened while privileged, the chosen sessions
 * collected as they end, the second pass over the capture and its lines in the report. */
#ifndef SMTPSCOPE_CLI_HANDOFF_H
#define SMTPSCOPE_CLI_HANDOFF_H

#include <stddef.h>

#include "cli/options.h"
#include "report/report.h"

typedef struct handoff handoff;

/* Creates the extract file as -w is created (no symbolic link, a regular file) and, with -r,
 * opens the capture to read again: before root is given up. NULL with a message in err. */
handoff *handoff_open(const options *o, char *err, size_t errlen);
/* Live: the -w file just created at path, to read again at the end; 0, or -1 with a message
 * (the extract would overwrite it). */
int handoff_read_later(handoff *h, const char *path, char *err, size_t errlen);
/* A session ended: kept when it is flagged, or one of --session. */
void handoff_session(handoff *h, const flow_report *f);
/* After the report's summary, the capture closed: writes the extract and the report's lines
 * about it. Returns 0, or -1 after saying why on stderr. */
int handoff_finish(handoff *h, report *rep);
void handoff_free(handoff *h);

#endif
