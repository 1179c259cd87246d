/* rotate: the -w file written as tcpdump writes it. -G starts a new file every SECONDS, its
 * name passed through strftime (local time); -C starts a new one when the current file is
 * larger than a size, numbered FILE, FILE1, FILE2...; -W with -C makes that a ring of N
 * files (FILE0 .. FILE<N-1>, zero-padded to the width of N-1), with -G alone it ends the
 * capture once N files have been written. With -C and -G together the number restarts at
 * each period and -W only sets its width. Checks happen before each frame is written, as in
 * tcpdump: a file can pass the size by one frame, and a period ends at the first frame after
 * it. */
#ifndef SMTPSCOPE_SNIFF_ROTATE_H
#define SMTPSCOPE_SNIFF_ROTATE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef struct rotate_config {
    const char *pattern; /* -w FILE; a strftime format with -G */
    uint64_t size_limit; /* -C in bytes; 0: no size rotation */
    unsigned seconds;    /* -G; 0: no time rotation */
    unsigned files;      /* -W; 0: no limit */
} rotate_config;

/* Where a rotation stands: enough to name the current file. */
typedef struct rotate_state {
    time_t since;     /* when the current period began (the time strftime formats) */
    unsigned periods; /* -G periods ended so far */
    unsigned number;  /* -C: the current file's number within its period */
} rotate_state;

typedef enum { ROTATE_KEEP, ROTATE_NEW, ROTATE_LIMIT } rotate_step;

/* -G or -C: more than one file may be written. */
int rotate_active(const rotate_config *c);
/* Digits of the numbers in a ring of files files (tcpdump: those of files - 1). */
unsigned rotate_width(unsigned files);
/* -C's argument: a whole number of millions of bytes, or of KiB, MiB, GiB with a k, m or g
 * suffix (either case). -1 when it is not one or overflows. */
int rotate_parse_size(const char *arg, uint64_t *bytes);
void rotate_start(rotate_state *s, time_t now);
/* Before a frame is written to a file of size bytes at now: keep the file, begin a new one
 * (s is moved on: name it with rotate_name), or stop (-G -W: the last file is done). */
rotate_step rotate_next(const rotate_config *c, rotate_state *s, time_t now, uint64_t size);
/* The current file's name. -1 when it is empty or does not fit in cap. */
int rotate_name(const rotate_config *c, const rotate_state *s, char *out, size_t cap);

/* A file was begun; first_frame: the number of its first frame in the whole capture. */
typedef void (*rotate_file_fn)(void *ctx, const char *name, uint64_t first_frame);

/* The files themselves: each frame written to the current one, new ones created (without
 * following a symbolic link, see privs.h) by whatever user the process runs as by then. */
typedef struct rotator rotator;

/* first: the first file, named by rotate_name after rotate_start(start), opened by the
 * caller (while privileged); taken over, also on failure. NULL with a message in err. */
rotator *rotator_new(const rotate_config *c, time_t start, pcap_t *pcap, FILE *first, char *err,
                     size_t errlen);
/* Writes frame number frame at now, after beginning a new file if it is due. Returns 0, 1
 * when the file limit of -G -W was reached (the frame is not written: the capture ends
 * there), -1 when a new file could not be made (rotator_error tells). */
int rotator_write(rotator *r, uint64_t frame, const struct pcap_pkthdr *h, const u_char *bytes,
                  time_t now);
/* fn is called at once for the current file, then for each new one. */
void rotator_on_file(rotator *r, rotate_file_fn fn, void *ctx);
const char *rotator_error(const rotator *r);
void rotator_close(rotator *r);

#endif
