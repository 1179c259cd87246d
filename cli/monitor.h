/* Internal to cli/: what a long run tells about itself besides sessions: the --stats lines,
 * the --metrics file, and the capture interface going down and coming back. The period runs
 * on the clock live and on the packets' timestamps for a file, so a file run's lines are the
 * same every time (apart from the memory figure). */
#ifndef SMTPSCOPE_CLI_MONITOR_H
#define SMTPSCOPE_CLI_MONITOR_H

#include <stdint.h>

#include "cli/app.h"

/* --metrics without --stats: the file is rewritten this often (seconds). */
#define MONITOR_METRICS_PERIOD 60
/* Live: the interface's state is asked this often (microseconds). */
#define MONITOR_IFACE_EVERY_US 1000000

/* The capture interface: its state, checked once a second, changes said on stderr. */
typedef struct iface_watch {
    sniff *sn;
    const char *name;
    sniff_if_state state;
    int64_t next; /* monotonic usec of the next check */
    int say;      /* changes go to stderr (one of several workers stays quiet) */
} iface_watch;

void iface_watch_init(iface_watch *w, sniff *sn, const char *name, int say);
void iface_watch_tick(iface_watch *w);

typedef struct monitor {
    app *a;
    int64_t period; /* usec */
    int64_t next;   /* the next period's end: capture usec (file, 0 before the first packet),
                       monotonic usec (live) */
    iface_watch iface;
    int metrics_failing; /* the last write failed (said once until one succeeds) */
    int html_failing;    /* the same for the --html page */
} monitor;

/* Before the first packet (root already given up): the first metrics file is written, so a
 * directory the run cannot write is said at once. -1 with a message in err. */
int monitor_start(monitor *m, app *a, char *err, size_t errlen);
/* A file's packet, before it is analysed: the periods it ends are written. */
void monitor_packet(monitor *m, int64_t ts);
/* Live, after every read (sniff_set_tick): the periods the clock ended, the interface. */
void monitor_tick(void *m);
/* After the last session ended: the final stats line and metrics file. */
void monitor_end(monitor *m);

#endif
