/* options: smtpscope's command line. */
#ifndef SMTPSCOPE_OPTIONS_H
#define SMTPSCOPE_OPTIONS_H

#include <stdint.h>

#include "pipeline/pipeline.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"

enum { EXIT_OK = 0, EXIT_ERROR = 2 };

typedef struct options {
    const char *file; /* the first -r file (the only one, unless nfiles > 1) */
    /* Every -r file, globs expanded (sorted), in command-line order; allocated, as are the
     * names a glob made (names_owned). Several are read as one capture, in time order. */
    const char **files;
    unsigned nfiles;
    char **names_owned;
    unsigned nowned;
    /* --outside and --inside (each repeatable, globs as -r): the captures on the two sides of
     * a box in the mail path, [0] the sender's side; analysed one after the other, then
     * compared (path/). Allocated, as files is. */
    const char **side_files[2];
    unsigned nside[2];
    /* --merge (repeatable, globs as -r, "-" standard input; the arguments after the options
     * too): the JSON Lines of --sensor runs, merged into one report. Allocated. */
    const char **merge_files;
    unsigned nmerge;
    uint64_t count;
    uint8_t ports[PROTO_COUNT][PIPELINE_PORT_BYTES];     /* each analyser's server ports */
    uint8_t tls_ports[PROTO_COUNT][PIPELINE_PORT_BYTES]; /* its implicit-TLS ones */
    uint8_t all_ports[PIPELINE_PORT_BYTES];              /* all of them: the capture filter's */
    int json, verbose, verify_checksums;
    int detect; /* also follow sessions on other ports whose server greets with 220 */
    double idle_timeout;
    int max_streams;
    smtp_options smtp; /* thresholds of the diagnostics */
    pop3_options pop3;
    char *filter; /* user's BPF expression, or NULL */
    /* live capture */
    const char *iface;       /* -i */
    const char *write_file;  /* -w */
    unsigned rotate_seconds; /* -G: a new -w file every so many seconds */
    uint64_t rotate_bytes;   /* -C: a new -w file past so many bytes */
    unsigned rotate_files;   /* -W: a ring of -C files, or the -G files before the end */
    const char *user;        /* -Z (NULL: smtpscope, else nobody, when root) */
    int buffer_kib;          /* -B */
    int snaplen;             /* -s */
    int no_promisc;          /* -p */
    int list_interfaces;     /* -D */
    int tui;                 /* 1 --tui, 0 --no-tui, -1 by default (live on a terminal) */
    double speed;            /* --speed: file replay at capture speed times this; 0 at once */
    int workers;             /* --workers; 0: by default (see main.c) */
    int stream;              /* --stream */
    double dup_window;       /* --dup-window, seconds; 0: none */
    double dup_memory;       /* --dup-memory, MiB; 0: none */
    double stats;            /* --stats: seconds between stats lines; 0: none */
    const char *metrics;     /* --metrics: the Prometheus textfile, or NULL */
    const char *extract;     /* --extract: the pcap file the chosen sessions' packets go to */
    const char *html;        /* --html: the page's file, or NULL */
    const char *sensor;      /* --sensor: the tag on every JSON object, or NULL */
    unsigned part, nparts;   /* --partition K/N: part K (1..N) of N; nparts 0: every flow */
    unsigned html_sessions;  /* --html-sessions: flagged sessions drawn on it */
    /* --session: the sessions --extract writes, as ranges of the report's numbers (a lone
     * number is a range of one); none: the flagged sessions. Allocated. */
    struct session_range {
        uint64_t lo, hi;
    } * sessions;
    size_t nsessions;
} options;

/* Returns -1 to exit with EXIT_ERROR, 1 to exit with EXIT_OK (help, version), 0 to run. */
int options_parse(options *o, int argc, char **argv);
/* What only one process can do (--workers 1): the screen, -w, stdin, a live packet count. */
int options_one_process(const options *o);
/* -r names a regular file that is compressed: every worker would decompress all of it, so
 * by default one process reads it (README: --workers and compressed captures). */
int options_compressed_file(const options *o);
/* --merge was given: the report of other runs' records. */
int options_merge(const options *o);
/* --outside and --inside were given: the two-vantage-point run. */
int options_path(const options *o);
/* Frees what options_parse allocated. */
void options_free(options *o);
/* "smtpscope: " + the message on stderr. */
void cli_fail(const char *fmt, const char *arg);

#endif
