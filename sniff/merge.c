/* merge: several capture files read as one, their packets in time order (as mergecap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sniff/internal.h"

typedef struct merge_input {
    const char *name; /* as given on the command line */
    pcap_t *pcap;
    decompress *dc;
    const char *compression;
    int dlt;
    struct bpf_program prog; /* compiled for this file's link type */
    int have_prog;
    uint64_t frames;         /* records read from it */
    struct pcap_pkthdr *hdr; /* its next packet (heads[i].ready): libpcap's buffer, valid */
    const u_char *bytes;     /* until this file is read again */
} merge_input;

struct sniff_merge {
    merge_input *in;
    sniff_head *heads;
    unsigned n;
    int last; /* the file whose packet was handed out last: read on at the next call */
    char error[PCAP_ERRBUF_SIZE + 512];
};

int sniff_merge_pick(const sniff_head *heads, unsigned n)
{
    int best = -1;
    for (unsigned i = 0; i < n; i++) {
        if (!heads[i].ready)
            continue;
        if (best < 0 || timercmp(&heads[i].ts, &heads[best].ts, <))
            best = (int)i;
    }
    return best;
}

/* The file's next packet into its head; at its end or its damage it has none. A damaged file
 * ends there, the others are read on; the first damage is what the run reports. */
static void advance(sniff_merge *m, unsigned i)
{
    merge_input *in = &m->in[i];
    int rc = pcap_next_ex(in->pcap, &in->hdr, &in->bytes);
    m->heads[i].ready = rc == 1;
    if (rc == 1) {
        in->frames++;
        sniff_sane_time(in->hdr);
        m->heads[i].ts = in->hdr->ts;
        return;
    }
    if (rc != PCAP_ERROR || m->error[0])
        return;
    char why[PCAP_ERRBUF_SIZE + 256];
    sniff_read_error(in->pcap, in->dc, in->compression, why, sizeof why);
    snprintf(m->error, sizeof m->error, "'%s': damaged capture, analysed up to its frame %llu: %s",
             in->name, (unsigned long long)in->frames, why);
}

static int open_input(merge_input *in, const char *file, const char *filter, char *err,
                      size_t errlen)
{
    in->name = file;
    in->pcap = sniff_offline(file, &in->dc, &in->compression, err, errlen);
    if (in->pcap == NULL)
        return -1;
    in->dlt = pcap_datalink(in->pcap);
    if (sniff_check_link(file, in->dlt, err, errlen) != 0)
        return -1;
    int rc = sniff_compile(in->pcap, &in->prog, filter, err, errlen);
    in->have_prog = rc > 0;
    return rc < 0 ? -1 : 0;
}

sniff_merge *merge_open(const char *const *files, unsigned n, const char *filter, char *err,
                        size_t errlen)
{
    sniff_merge *m = calloc(1, sizeof *m);
    if (m && n <= SNIFF_MAX_FILES) {
        m->in = calloc(n, sizeof *m->in);
        m->heads = calloc(n, sizeof *m->heads);
    }
    if (n > SNIFF_MAX_FILES) {
        snprintf(err, errlen, "%u capture files: at most %d are read together", n, SNIFF_MAX_FILES);
        merge_close(m);
        return NULL;
    }
    if (!m || !m->in || !m->heads) {
        snprintf(err, errlen, "out of memory");
        merge_close(m);
        return NULL;
    }
    m->n = n;
    m->last = -1;
    for (unsigned i = 0; i < n; i++)
        if (open_input(&m->in[i], files[i], filter, err, errlen) < 0) {
            merge_close(m);
            return NULL;
        }
    for (unsigned i = 0; i < n; i++)
        advance(m, i);
    return m;
}

int merge_next(sniff_merge *m, unsigned *file, uint64_t *frame, struct pcap_pkthdr **hdr,
               const u_char **bytes)
{
    if (m->last >= 0)
        advance(m, (unsigned)m->last);
    m->last = sniff_merge_pick(m->heads, m->n);
    if (m->last < 0)
        return 0;
    merge_input *in = &m->in[m->last];
    *file = (unsigned)m->last;
    *frame = in->frames;
    *hdr = in->hdr;
    *bytes = in->bytes;
    return 1;
}

int merge_filter(const sniff_merge *m, unsigned file, const struct pcap_pkthdr *hdr,
                 const u_char *bytes)
{
    const merge_input *in = &m->in[file];
    return !in->have_prog || pcap_offline_filter(&in->prog, hdr, bytes) != 0;
}

int merge_has_filter(const sniff_merge *m)
{
    return m->n && m->in[0].have_prog; /* one expression, compiled for each file */
}

int merge_dlt(const sniff_merge *m, unsigned file)
{
    return m->in[file].dlt;
}

pcap_t *merge_first(const sniff_merge *m)
{
    return m->in[0].pcap;
}

/* The largest of the files' snapshot lengths: what a cut packet is measured against. */
uint32_t merge_snaplen(const sniff_merge *m)
{
    uint32_t most = 0;
    for (unsigned i = 0; i < m->n; i++) {
        int snap = pcap_snapshot(m->in[i].pcap);
        if (snap > 0 && (uint32_t)snap > most)
            most = (uint32_t)snap;
    }
    return most;
}

/* The first compressed file's format: the summary names one. */
const char *merge_compression(const sniff_merge *m)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->in[i].compression)
            return m->in[i].compression;
    return NULL;
}

const char *merge_error(const sniff_merge *m)
{
    return m->error[0] ? m->error : NULL;
}

void merge_close(sniff_merge *m)
{
    if (m == NULL)
        return;
    for (unsigned i = 0; m->in && i < m->n; i++) {
        if (m->in[i].have_prog)
            pcap_freecode(&m->in[i].prog);
        if (m->in[i].pcap)
            pcap_close(m->in[i].pcap); /* the stream, and the decompressor with it */
    }
    free(m->in);
    free(m->heads);
    free(m);
}
