/* unseen: connections seen without their handshake. The reassembly cannot follow them; the
 * ones on an analyser's port, or with --detect looking like an analyser's protocol, are told
 * to the sink so the report can count and list what was missed. */
#include <string.h>

#include "pipeline/internal.h"

static void swap_sides(reasm_unseen *u)
{
    reasm_endpoint e = u->client;
    u->client = u->server;
    u->server = e;
    const uint8_t *d = u->client_data;
    size_t n = u->client_len;
    u->client_data = u->server_data;
    u->client_len = u->server_len;
    u->server_data = d;
    u->server_len = n;
}

/* Without a SYN/ACK, the server is the side whose first bytes look like a protocol's server
 * (the side seen first, on a tie), else the side on the lower port. */
static void orient(const pipeline *pl, reasm_unseen *u)
{
    if (u->oriented)
        return;
    for (int side = 0; side < 2; side++) {
        const uint8_t *d = side == 0 ? u->client_data : u->server_data;
        size_t n = side == 0 ? u->client_len : u->server_len;
        for (unsigned i = 0; i < PROTO_COUNT; i++) {
            const analyser *an = pl->an[i];
            if (an->looks_like_server && an->looks_like_server(d, n)) {
                if (side == 0)
                    swap_sides(u);
                return;
            }
        }
    }
    if (u->server.port > u->client.port)
        swap_sides(u);
}

/* Worth telling: on a protocol's server port (turned around when the reassembly's guess has
 * the port on the client side), or with --detect, bytes that look like a protocol's. */
static int is_mail(const pipeline *pl, reasm_unseen *u)
{
    if (!pipeline_analyser_for_port(pl, u->server.port) &&
        pipeline_analyser_for_port(pl, u->client.port))
        swap_sides(u);
    if (pipeline_analyser_for_port(pl, u->server.port))
        return 1;
    if (!pl->cfg.detect)
        return 0;
    for (unsigned i = 0; i < PROTO_COUNT; i++) {
        const analyser *an = pl->an[i];
        if ((an->looks_like_server && an->looks_like_server(u->server_data, u->server_len)) ||
            (an->looks_like_client && an->looks_like_client(u->client_data, u->client_len)))
            return 1;
    }
    return 0;
}

void pipeline_on_unseen(void *ctx, const reasm_unseen *seen)
{
    pipeline *pl = ctx;
    reasm_unseen u = *seen;
    orient(pl, &u);
    if (!is_mail(pl, &u))
        return;
    unseen_conn c;
    memset(&c, 0, sizeof c); /* sent whole to the parent with --workers */
    reasm_format_endpoint(c.client, sizeof c.client, &u.client);
    reasm_format_endpoint(c.server, sizeof c.server, &u.server);
    c.first = sniff_usec(u.first);
    c.last = sniff_usec(u.last);
    c.first_frame = u.first_frame;
    c.last_frame = u.last_frame;
    c.packets = u.packets;
    c.bytes = u.bytes;
    c.syn_seen = u.syn_seen;
    pl->sink.unseen(pl->sink.ctx, &c);
}
