/* reassembly: TCP stream reassembly over libnids 1.26, set up and torn down. See reasm.h.
 *
 * libnids does the TCP work (handshake, sequence checks, out-of-order queue, retransmission
 * trimming, IPv4 defragmentation). The reassembler feeds it one IP packet at a time through a
 * raw-IP pcap handle (IPv6 rewritten as IPv4 by ip6.c), tells its callbacks which frame is
 * being processed, and adds what libnids lacks: an idle timeout, a deterministic order at
 * capture end, end reasons with the side that closed the session, a record of the
 * connections it could not follow (midflow.c) and of the attempts that never became
 * connections (connect.c). This file holds its state and starts and stops
 * it; reasm_int.h says where the rest is. */
#include "reassembly/reasm.h"

#include <arpa/inet.h>
#include <limits.h>
#include <nids.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "reassembly/connect.h"
#include "reassembly/ip6.h"
#include "reassembly/midflow.h"
#include "reassembly/synframe.h"
#include "reassembly/reasm_int.h"

#include "base/addrtext.h"

#define N_HOSTS 1024 /* IP defragmentation hash buckets: hosts with fragments in flight */

reasm_global reasm_state;

/* Kept static: libnids stores the pointer, not a copy. Matches every source address. The
 * synthetic IPv6 packets need no exception under --verify-checksums: their checksums are
 * carried over (ip6.c), and their IP header checksums are computed. */
static struct nids_chksum_ctl no_checksum = {0, 0, NIDS_DONT_CHKSUM, 0};

void reasm_now(reasm_position *at)
{
    *at = reasm_state.at;
    at->usec = (int64_t)reasm_state.ts.tv_sec * 1000000 + reasm_state.ts.tv_usec;
}

/* ---- setup and teardown ---- */

static void count_warning(int type, int errnum, struct ip *iph, void *data)
{
    (void)errnum;
    (void)iph;
    (void)data;
    if (type == NIDS_WARN_IP)
        reasm_state.stats.warn_ip++;
    else if (type == NIDS_WARN_TCP)
        reasm_state.stats.warn_tcp++; /* includes NIDS_WARN_TCP_TOOMUCH: table full */
}

static void report_unseen(const reasm_unseen *u)
{
    if (reasm_state.at.phase == REASM_AT_FINISH_UNSEEN)
        reasm_state.at.sub = u->first_frame;
    reasm_state.stats.unseen++;
    if (reasm_state.cb.unseen != NULL)
        reasm_state.cb.unseen(reasm_state.cb.ctx, u);
}

static void report_connect_failed(const reasm_connect_failure *f)
{
    reasm_state.stats.connect_failed++;
    if (reasm_state.cb.connect_failed != NULL)
        reasm_state.cb.connect_failed(reasm_state.cb.ctx, f);
}

/* libnids keeps at most 3/4 of n_tcp_streams streams. */
static int table_size(int max_streams)
{
    long long n = ((long long)max_streams * 4 + 2) / 3;

    while (3 * n / 4 < max_streams)
        n++;
    return n > INT_MAX / 4 ? INT_MAX / 4 : (int)n; /* libnids computes 3 * n in an int */
}

static void configure_libnids(void)
{
    nids_params.pcap_desc = reasm_state.raw;
    nids_params.filename = NULL;
    nids_params.device = NULL;
    nids_params.pcap_filter = NULL;
    nids_params.n_tcp_streams = table_size(reasm_state.cfg.max_streams);
    nids_params.n_hosts = N_HOSTS;
    nids_params.scan_num_hosts = 0; /* no port-scan detection */
    nids_params.tcp_workarounds = 1;
    nids_params.one_loop_less = 0;
    nids_params.multiproc = 0;
    nids_params.dev_addon = -1; /* recomputed from the link type, not kept from a last run */
    /* With a positive tcp_flow_timeout, a client SYN on a stream older than it frees the
     * stream without any callback, which would leave our session pointing at freed memory.
     * check_port_reuse (reasm_packet.c) handles reused ports instead. */
    nids_params.tcp_flow_timeout = 0;
    nids_params.syslog = count_warning;
    nids_params.no_mem = reasm_out_of_memory;
}

static void set_config(const reasm_config *cfg)
{
    struct timeval *idle = &reasm_state.idle;
    double t;

    if (cfg != NULL)
        reasm_state.cfg = *cfg;
    else
        reasm_state.cfg.idle_timeout = REASM_DEFAULT_IDLE_TIMEOUT;
    if (reasm_state.cfg.max_streams <= 0)
        reasm_state.cfg.max_streams = REASM_DEFAULT_MAX_STREAMS;
    t = reasm_state.cfg.idle_timeout;
    if (!(t > 0)) /* also NaN: no idle timeout */
        return;
    if (t > 1e9) /* beyond any capture; keeps the conversion defined */
        t = 1e9;
    idle->tv_sec = (time_t)t;
    idle->tv_usec = (suseconds_t)((t - (double)idle->tv_sec) * 1e6 + 0.5);
    if (idle->tv_usec >= 1000000) {
        idle->tv_sec++;
        idle->tv_usec -= 1000000;
    }
    if (idle->tv_sec == 0 && idle->tv_usec == 0)
        idle->tv_usec = 1; /* a tiny positive timeout must not read as "disabled" */
}

static void link_name(int dlt, char *out, size_t outlen)
{
    const char *name = pcap_datalink_val_to_name(dlt);
    const char *desc = pcap_datalink_val_to_description(dlt);

    if (name == NULL)
        snprintf(out, outlen, "DLT %d", dlt);
    else if (desc == NULL)
        snprintf(out, outlen, "%s", name);
    else
        snprintf(out, outlen, "%s (%s)", name, desc);
}

/* Every packet reaches libnids as bare IP through a raw-IP handle: the link layers are
 * decode.c's work, which lets IPv6, QinQ and cooked v2 captures in, and keeps libnids' own
 * link code (one VLAN tag, no SLL2) out of the way. */
int reasm_init(const reasm_config *cfg, const reasm_callbacks *cb, pcap_t *link_handle, char *err,
               size_t errlen)
{
    char name[256];
    int dlt;

    if (reasm_state.active) {
        snprintf(err, errlen, "reassembler already running (call reasm_finish first)");
        return -1;
    }
    if (cb == NULL || cb->open == NULL || link_handle == NULL) {
        snprintf(err, errlen, "reasm_init: missing callbacks or link handle");
        return -1;
    }
    dlt = pcap_datalink(link_handle);
    if (!net_link_supported(dlt)) {
        link_name(dlt, name, sizeof name);
        snprintf(err, errlen, "link type %s is not supported for TCP reassembly", name);
        return -1;
    }
    memset(&reasm_state, 0, sizeof reasm_state);
    reasm_state.dlt = dlt;
    set_config(cfg);
    reasm_state.cb = *cb;
    reasm_state.raw = pcap_open_dead(DLT_RAW, 65535);
    if (reasm_state.raw == NULL) {
        snprintf(err, errlen, "cannot start TCP reassembly: no raw-IP pcap handle");
        return -1;
    }
    if (reasm_table_init(reasm_state.cfg.max_streams) != 0) {
        snprintf(err, errlen, "cannot start TCP reassembly: out of memory for the session table");
        pcap_close(reasm_state.raw);
        return -1;
    }
    configure_libnids();
    if (!nids_init()) { /* DLT_RAW is among the link types it accepts: cannot fail on it */
        snprintf(err, errlen, "cannot start TCP reassembly: %s", nids_errbuf);
        reasm_table_free();
        pcap_close(reasm_state.raw);
        return -1;
    }
    nids_register_tcp(reasm_on_tcp);
    nids_register_ip(reasm_on_ip); /* put first in the list: it runs before libnids' TCP code */
    nids_register_chksum_ctl(reasm_state.cfg.verify_checksums ? NULL : &no_checksum,
                             reasm_state.cfg.verify_checksums ? 0 : 1);
    ip6_init(reasm_state.cfg.max_streams);
    midflow_init(reasm_endpoint_of, report_unseen);
    connect_init(reasm_endpoint_of, report_connect_failed);
    reasm_state.active = 1;
    return 0;
}

void reasm_finish(void)
{
    if (!reasm_state.active)
        return;
    reasm_end_all();
    reasm_state.at = (reasm_position){UINT64_MAX, REASM_AT_FINISH_UNSEEN, 0, 0};
    midflow_finish(); /* needs the IPv6 table for the addresses */
    connect_finish(reasm_state.ts, &reasm_state.at);
    synframe_free();
    reasm_table_free();
    reasm_state.stats.connect_evicted = connect_evicted();
    /* nids_init resets libnids' callback lists without freeing them, and nids_exit frees
     * only the first node of the IP list, which must be libnids' own: unregistering ours
     * first frees exactly what was allocated. */
    nids_unregister_ip(reasm_on_ip);
    nids_unregister_tcp(reasm_on_tcp);
    nids_exit(); /* its NIDS_EXITING callbacks find no session and do nothing */
    nids_register_chksum_ctl(NULL, 0);
    pcap_close(reasm_state.raw); /* after nids_exit, which reads its error buffer */
    ip6_exit();
    reasm_state.active = 0;
}

const reasm_stats *reasm_get_stats(void)
{
    if (reasm_state.active)
        reasm_state.stats.connect_evicted = connect_evicted();
    return &reasm_state.stats;
}

void reasm_format_endpoint(char *out, size_t cap, const reasm_endpoint *e)
{
    if (endpoint_text(out, cap, e->family == 6 ? 6 : 4, e->addr, e->port) == 0 && cap)
        snprintf(out, cap, "?:%u", e->port);
}

void reasm_stats_add(reasm_stats *sum, const reasm_stats *s)
{
    sum->packets += s->packets;
    sum->ip6_packets += s->ip6_packets;
    sum->sessions += s->sessions;
    sum->evicted += s->evicted;
    sum->idle_expired += s->idle_expired;
    sum->unseen += s->unseen;
    sum->warn_ip += s->warn_ip;
    sum->warn_tcp += s->warn_tcp;
    sum->connect_failed += s->connect_failed;
    sum->connect_evicted += s->connect_evicted;
    sum->snaplen_unusable += s->snaplen_unusable;
    sum->snaplen_window += s->snaplen_window;
}
