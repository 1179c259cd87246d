/* path: --outside FILE --inside FILE. The two captures are opened while privileged, then read
 * one after the other by one process (libnids is one instance per process; it is set up again
 * for the second), each side's sessions reported as any capture's are, tagged with their
 * vantage point, and kept (path/) to be paired and compared once both are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/app.h"
#include "path/path.h"
#include "sniff/privs.h"

static const char *const heading[] = {"Outside the box (the sender's side)",
                                      "Inside the box (the server's side)"};

static void name_frame(void *ctx, path_vantage v, uint64_t frame, char *out, size_t cap)
{
    const options *o = ctx;
    snprintf(out, cap, "%s", report_frame_ref_among(o->side_files[v], o->nside[v], frame).s);
}

/* The side's files become the run's -r files. */
static void select_side(app *a, int side)
{
    a->opt.files = a->opt.side_files[side];
    a->opt.nfiles = a->opt.nside[side];
    a->opt.file = a->opt.files[0];
    a->path_side = side;
    report_frame_files(a->opt.files, a->opt.nfiles);
}

static int open_sides(app *a, sniff *sn[2], char *err, size_t errlen)
{
    for (int side = 0; side < 2; side++) {
        select_side(a, side);
        if (!(sn[side] = app_open_files(a, err, errlen)))
            return -1;
    }
    return privs_drop(a->opt.user, err, errlen);
}

static int read_side(app *a, sniff *sn, int side, const char *source, char *err, size_t errlen)
{
    select_side(a, side);
    if (!(a->rep = app_new_report(a)))
        return cli_fail("%s", "out of memory"), EXIT_ERROR;
    report_tag(a->rep, "vantage", path_vantage_name((path_vantage)side));
    if (!a->opt.json)
        printf("%s%s: %s\n\n", side ? "\n" : "", heading[side], source);
    int status = app_run_one(a, sn, err, errlen);
    report_free(a->rep);
    a->rep = NULL;
    return status;
}

static int compare_sides(app *a, const char source[2][4096])
{
    const path_result *r = path_compare(a->path);
    if (!r)
        return cli_fail("%s", "out of memory comparing the two sides"), EXIT_ERROR;
    report_path_sides sides = {
        {source[0], source[1]},
        {path_not_kept(a->path, PATH_OUTSIDE), path_not_kept(a->path, PATH_INSIDE)},
        PATH_DEFAULT_MAX_SESSIONS,
        a->opt.sensor};
    report_frame_files(NULL, 0);
    if (report_path(stdout, a->opt.json ? REPORT_JSON : REPORT_TEXT, a->opt.verbose, r, &sides) <
            0 ||
        fflush(stdout) != 0)
        return cli_fail("%s", "writing the report failed"), EXIT_ERROR;
    return EXIT_OK;
}

int app_run_path(app *a)
{
    static char source[2][4096];
    char err[PCAP_ERRBUF_SIZE + 512];
    const char **files = a->opt.files;
    unsigned nfiles = a->opt.nfiles;
    sniff *sn[2] = {NULL, NULL};
    int status = EXIT_ERROR;
    a->path = path_new(PATH_DEFAULT_MAX_SESSIONS, name_frame, &a->opt);
    if (!a->path)
        cli_fail("%s", "out of memory");
    else if (open_sides(a, sn, err, sizeof err) < 0)
        cli_fail("%s", err);
    else {
        status = EXIT_OK;
        for (int side = 0; side < 2; side++) {
            app_files_text(a->opt.side_files[side], a->opt.nside[side], source[side],
                           sizeof source[side]);
            if (read_side(a, sn[side], side, source[side], err, sizeof err) != EXIT_OK)
                status = EXIT_ERROR;
            sniff_close(sn[side]);
            sn[side] = NULL;
        }
        if (compare_sides(a, (const char(*)[4096])source) != EXIT_OK)
            status = EXIT_ERROR;
    }
    for (int side = 0; side < 2; side++)
        sniff_close(sn[side]);
    path_free(a->path);
    a->path = NULL;
    a->opt.files = files; /* options_free frees the lists it owns */
    a->opt.nfiles = nfiles;
    return status;
}
