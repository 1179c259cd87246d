/* frameref: how the report names a frame: its number, or with several capture files
 * NAME#N (the file's name and its frame in that file), in text and JSON alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"
#include "sniff/sniff.h"

/* Process-wide, as the files are: set once before the first packet, read by every writer
 * (report, live screen) without threading the list through each of them. */
static char **names;
static unsigned nnames;

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

void report_frame_files(const char *const *files, unsigned n)
{
    for (unsigned i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    names = NULL;
    nnames = 0;
    if (n < 2 || !(names = calloc(n, sizeof *names)))
        return;
    for (unsigned i = 0; i < n; i++) {
        char clean[REPORT_FRAME_REF_LEN - 24]; /* escaped once: text and JSON both use it */
        escape_str(clean, sizeof clean, base_name(files[i]));
        names[i] = strdup(clean);
        nnames++;
        if (!names[i]) {
            report_frame_files(NULL, 0);
            return;
        }
    }
}

frame_ref report_frame_ref_among(const char *const *files, unsigned n, uint64_t frame)
{
    frame_ref r;
    unsigned file = sniff_frame_file(frame);
    char clean[REPORT_FRAME_REF_LEN - 24];
    if (n < 2 || file >= n) {
        snprintf(r.s, sizeof r.s, "%llu", (unsigned long long)frame);
        return r;
    }
    escape_str(clean, sizeof clean, base_name(files[file]));
    snprintf(r.s, sizeof r.s, "%s#%llu", clean, (unsigned long long)sniff_frame_in_file(frame));
    return r;
}

int report_frame_named(void)
{
    return nnames > 1;
}

frame_ref report_frame_ref(uint64_t frame)
{
    frame_ref r;
    unsigned file = sniff_frame_file(frame);
    if (nnames > 1 && file < nnames)
        snprintf(r.s, sizeof r.s, "%s#%llu", names[file],
                 (unsigned long long)sniff_frame_in_file(frame));
    else
        snprintf(r.s, sizeof r.s, "%llu", (unsigned long long)frame);
    return r;
}

const char *report_frame_dash(void)
{
    return nnames > 1 ? " to " : "-";
}

/* Bits the file index takes in a packed frame: none with one file. */
static unsigned file_bits(void)
{
    unsigned bits = 0;
    while (nnames > 1 && (1u << bits) < nnames)
        bits++;
    return bits;
}

uint32_t report_frame_pack32(uint64_t frame)
{
    unsigned fb = file_bits();
    uint64_t local = fb ? sniff_frame_in_file(frame) : frame;
    uint64_t most = ((uint64_t)1 << (32 - fb)) - 1;
    uint32_t low = (uint32_t)(local > most ? most : local);
    return fb ? (uint32_t)sniff_frame_file(frame) << (32 - fb) | low : low;
}

uint64_t report_frame_unpack32(uint32_t packed)
{
    unsigned fb = file_bits();
    if (!fb)
        return packed;
    return sniff_frame_make(packed >> (32 - fb), packed & ((1u << (32 - fb)) - 1));
}

void json_frame(json *j, uint64_t frame)
{
    if (nnames > 1)
        json_str(j, report_frame_ref(frame).s);
    else
        json_uint(j, frame);
}
