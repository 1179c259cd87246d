/* smtpscope: reads a capture, follows mail sessions and reports why mail is lost, stalled or
 * delivered twice. This file only chooses how: one process (one.c: sniff -> pipeline ->
 * report or the live screen), several (parallel.c, --workers), or two capture points one
 * after the other (path.c, --outside/--inside). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/app.h"
#include "cli/handoff.h"

static unsigned worker_count(const options *o)
{
    if (o->workers)
        return (unsigned)o->workers;
    if (app_wants_tui(o) || options_one_process(o) || options_compressed_file(o))
        return 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > WORKERS_MAX ? WORKERS_MAX : (unsigned)n;
}

static int run(app *a)
{
    char err[PCAP_ERRBUF_SIZE + 512];
    if (a->opt.list_interfaces)
        return sniff_list_interfaces(stdout, err, sizeof err) < 0
                   ? (cli_fail("%s", err), EXIT_ERROR)
                   : EXIT_OK;
    if (a->opt.extract && !(a->handoff = handoff_open(&a->opt, err, sizeof err)))
        return cli_fail("%s", err), EXIT_ERROR;
    if (a->opt.html && app_open_html(a, err, sizeof err) < 0)
        return cli_fail("%s", err), EXIT_ERROR;
    if (options_path(&a->opt))
        return app_run_path(a);
    if (options_merge(&a->opt)) {
        int status = app_run_merge(a);
        app_close_html(a);
        return status;
    }
    report_frame_files(a->opt.files, a->opt.nfiles);
    unsigned workers = worker_count(&a->opt);
    if (workers > 1) {
        int status = app_run_workers(a, workers);
        app_close_html(a);
        return status;
    }
    sniff *sn = app_open_source(a, err, sizeof err);
    if (!sn)
        return cli_fail("%s", err), app_close_html(a), EXIT_ERROR;
    a->rep = app_new_report(a);
    int status =
        a->rep ? app_run_one(a, sn, err, sizeof err) : (cli_fail("%s", "out of memory"), 2);
    sniff_close(sn); /* the -w file complete, for --extract to read again */
    if (a->rep)
        status = app_finish_extract(a, status);
    report_free(a->rep);
    app_close_html(a);
    return status;
}

int main(int argc, char **argv)
{
    app a;
    memset(&a, 0, sizeof a);
    int rc = options_parse(&a.opt, argc, argv);
    int status = rc < 0 ? EXIT_ERROR : rc > 0 ? EXIT_OK : run(&a);
    free(a.opt.filter);
    options_free(&a.opt);
    report_frame_files(NULL, 0);
    free(a.opt.sessions);
    handoff_free(a.handoff);
    return status;
}
