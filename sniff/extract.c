/* extract: the second pass over a capture that writes chosen sessions' packets. See extract.h. */
#include "sniff/extract.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "sniff/decode.h"

int extract_parse_endpoint(const char *text, extract_endpoint *e)
{
    char addr[64];
    const char *colon = strrchr(text, ':');
    memset(e, 0, sizeof *e);
    if (!colon || colon == text)
        return -1;
    size_t len = (size_t)(colon - text);
    int v6 = text[0] == '[';
    if (v6 && (len < 3 || text[len - 1] != ']'))
        return -1;
    if (v6)
        text++, len -= 2;
    if (len >= sizeof addr)
        return -1;
    memcpy(addr, text, len);
    addr[len] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || port > 65535)
        return -1;
    e->family = v6 ? 6 : 4;
    e->port = (uint16_t)port;
    return inet_pton(v6 ? AF_INET6 : AF_INET, addr, e->addr) == 1 ? 0 : -1;
}

/* ---- the sessions, found by their endpoints ---- */

/* The same for both directions: the endpoints in a fixed order. */
static uint64_t pair_key(const extract_endpoint *a, const extract_endpoint *b)
{
    uint64_t h = 1469598103934665603ull, ha = 0, hb = 0;
    for (int i = 0; i < 16; i++) {
        ha = (ha ^ a->addr[i]) * 1099511628211ull;
        hb = (hb ^ b->addr[i]) * 1099511628211ull;
    }
    ha = (ha ^ a->port) * 1099511628211ull;
    hb = (hb ^ b->port) * 1099511628211ull;
    h ^= ha + hb; /* addition commutes: either direction gives one key */
    return map_key(h * 0x9e3779b97f4a7c15ull);
}

static int same_endpoint(const extract_endpoint *a, const extract_endpoint *b)
{
    return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

typedef struct probe {
    const extract_session *s;
    extract_endpoint src, dst;
    uint64_t frame;
} probe;

static int session_matches(uint64_t index, const void *arg)
{
    const probe *p = arg;
    const extract_session *s = &p->s[index];
    if (p->frame < s->first || p->frame > s->last)
        return 0;
    return (same_endpoint(&p->src, &s->client) && same_endpoint(&p->dst, &s->server)) ||
           (same_endpoint(&p->src, &s->server) && same_endpoint(&p->dst, &s->client));
}

/* The TCP endpoints of an unfragmented packet; 0 when it has none. */
static int packet_endpoints(const net_packet *n, extract_endpoint *src, extract_endpoint *dst)
{
    size_t off = n->family == NET_IP4 ? 12 : 8, alen = n->family == NET_IP4 ? 4 : 16;
    if (n->family == NET_NONE || n->proto != IP6_TCP || !n->has_ports || n->fragment ||
        n->caplen < off + 2 * alen)
        return 0;
    memset(src, 0, sizeof *src);
    memset(dst, 0, sizeof *dst);
    src->family = dst->family = n->family;
    memcpy(src->addr, n->ip + off, alen);
    memcpy(dst->addr, n->ip + off + alen, alen);
    src->port = n->sport;
    dst->port = n->dport;
    return 1;
}

/* ---- the mapping ---- */

static int add_frame(extract_session *s, uint64_t new_frame, uint64_t orig)
{
    extract_run *r = s->nruns ? &s->runs[s->nruns - 1] : NULL;
    s->packets++;
    if (r && r->new_first + r->count == new_frame && r->orig_first + r->count == orig) {
        r->count++;
        return 0;
    }
    if (s->nruns == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        extract_run *grown = realloc(s->runs, cap * sizeof *grown);
        if (!grown)
            return -1;
        s->runs = grown;
        s->cap = cap;
    }
    s->runs[s->nruns++] = (extract_run){new_frame, orig, 1};
    return 0;
}

/* ---- the pass ---- */

typedef struct pass {
    pcap_t *in;
    pcap_dumper_t *out;
    int dlt;
    map by_pair;
    extract_session *s;
    int64_t written;
} pass;

static int index_sessions(pass *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (map_add(&p->by_pair, pair_key(&p->s[i].client, &p->s[i].server), i) < 0)
            return -1;
    return 0;
}

/* 1 written, 0 not a session's, -1 out of memory. */
static int take_frame(pass *p, uint64_t frame, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    net_packet n;
    probe pr = {.s = p->s, .frame = frame};
    net_decode(p->dlt, bytes, hdr->caplen, &n);
    if (!packet_endpoints(&n, &pr.src, &pr.dst))
        return 0;
    uint64_t *index = map_find(&p->by_pair, pair_key(&pr.src, &pr.dst), session_matches, &pr);
    if (!index)
        return 0;
    pcap_dump((u_char *)p->out, hdr, bytes);
    return add_frame(&p->s[*index], (uint64_t)++p->written, frame) < 0 ? -1 : 1;
}

static int run_pass(pass *p, char *err, size_t errlen)
{
    struct pcap_pkthdr *hdr;
    const u_char *bytes;
    uint64_t frame = 0;
    int rc;
    /* a read error ends the pass where it ended the analysis, which reported it */
    while ((rc = pcap_next_ex(p->in, &hdr, &bytes)) == 1)
        if (take_frame(p, ++frame, hdr, bytes) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    if (pcap_dump_flush(p->out) != 0 || ferror(pcap_dump_file(p->out))) {
        snprintf(err, errlen, "writing the extract failed");
        return -1;
    }
    return 0;
}

int64_t extract_write(FILE *in, FILE *out, extract_session *s, size_t n, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pass p = {.s = s};
    int rc = -1;
    p.in = pcap_fopen_offline(in, perr);
    if (!p.in) {
        snprintf(err, errlen, "cannot read the capture again: %s", perr);
        fclose(in);
        fclose(out);
        return -1;
    }
    p.dlt = pcap_datalink(p.in);
    p.out = pcap_dump_fopen(p.in, out);
    if (!p.out) {
        snprintf(err, errlen, "cannot write the extract: %s", pcap_geterr(p.in));
        fclose(out);
    } else if (index_sessions(&p, n) < 0) {
        snprintf(err, errlen, "out of memory");
    } else {
        rc = run_pass(&p, err, errlen);
    }
    if (p.out)
        pcap_dump_close(p.out);
    pcap_close(p.in);
    map_free(&p.by_pair);
    return rc < 0 ? -1 : p.written;
}

void extract_free_runs(extract_session *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].runs);
        s[i].runs = NULL;
        s[i].nruns = s[i].cap = 0;
    }
}
