#include "switch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "announce.h"
#include "autoconnect.h"
#include "daemon.h"
#include "health.h"
#include "link.h"
#include "log.h"
#include "origin.h"
#include "proto.h"
#include "tap.h"
#include "vnet.h"
#include "withdraw.h"
#include "util.h"

#define TAP_BATCH 64
/* a seed that said FULL is not dialled again for about this long */
#define SWITCH_FULL_PAUSE_MS 20000

static struct ratelimit frame_rl;

/*
 * Send a wire frame on every link that is up, except one. Control frames
 * flooded are a round's (INFO): they may wait a little for the others.
 */
static void flood(struct invpnd *d, const struct link *except, const uint8_t *wire, size_t n,
		  bool control)
{
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l != except && l->state == LINK_UP && !l->full && !l->drain_ms) {
			if (control)
				link_send_round(l, wire, n);
			else
				link_send(l, wire, n, false);
		}
	}
}

/* The same, to the links whose peer speaks the mesh extensions (CAPS_MESH) only. */
static void flood_mesh(struct invpnd *d, const struct link *except, const uint8_t *wire, size_t n)
{
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l != except && l->state == LINK_UP && !l->full && !l->drain_ms &&
		    (l->peer_caps & PROTO_CAPS_MESH))
			link_send_round(l, wire, n);
	}
}

static void tap_deliver(struct invpnd *d, const uint8_t *vhdr, const uint8_t *eth, size_t n)
{
	if (tap_write(&d->tap, vhdr, eth, n) < 0) {
		d->counters.drop_tap_write++;
		return;
	}
	d->counters.tap_tx_frames++;
	d->counters.tap_tx_bytes += n;
}

/* Where the frames cut from a super-frame go. */
struct pieces {
	struct invpnd *d;
	struct link *via; /* unicast to this link; NULL: see below */
	bool flood;	  /* as BROADCAST to every link */
};

static void emit_piece(uint8_t *eth, size_t n, void *arg)
{
	struct pieces *p = arg;
	struct invpnd *d = p->d;

	/* eth lies DAEMON_TAP_HEADROOM into d->seg_buf: room for any header */
	if (p->flood) {
		uint8_t *wire = eth - (PROTO_HDR_SIZE + PROTO_BCAST_FIXED - 2 * MAC_LEN);
		int size = proto_encode_broadcast(wire, n + 5, daemon_next_id(d), eth, n);

		if (size > 0)
			flood(d, NULL, wire, (size_t)size, false);
	} else if (p->via) {
		proto_put_header(eth - PROTO_HDR_SIZE, PROTO_UNICAST, n);
		link_send(p->via, eth - PROTO_HDR_SIZE, n + PROTO_HDR_SIZE, false);
	} else {
		tap_deliver(d, NULL, eth, n);
	}
}

/* Cut a super-frame (or finish a checksum) for a destination that cannot take it whole. */
static void send_pieces(struct invpnd *d, const uint8_t *eth, size_t n, const struct vnet_hdr *h,
			struct link *via, bool flood_them)
{
	struct pieces p = {d, via, flood_them};

	if (vnet_segment(eth, n, h, d->seg_buf + DAEMON_TAP_HEADROOM,
			 sizeof(d->seg_buf) - DAEMON_TAP_HEADROOM, emit_piece, &p) < 0)
		d->counters.drop_offload++;
}

/* A frame from the TAP that the kernel left work on: a super-frame, or a checksum to finish. */
static void tap_offloaded(struct invpnd *d, uint8_t *eth, size_t n, const struct vnet_hdr *h)
{
	struct link *via;

	if (mac_is_group(eth)) {
		send_pieces(d, eth, n, h, NULL, true);
		return;
	}
	via = route_lookup(&d->routes, eth);
	if (!via) {
		d->counters.drop_no_route++;
		return;
	}
	if ((via->peer_caps & PROTO_CAPS_GSO) && n + PROTO_GSO_HDR + 1 <= PROTO_MAX_LEN) {
		/* in place: the wire header goes where the kernel's was */
		uint8_t *wire = eth - PROTO_GSO_HDR - PROTO_HDR_SIZE;

		vnet_hdr_to_wire(h, eth - PROTO_GSO_HDR);
		proto_put_header(wire, PROTO_UNICAST_GSO, n + PROTO_GSO_HDR);
		link_send(via, wire, n + PROTO_GSO_HDR + PROTO_HDR_SIZE, false);
		return;
	}
	send_pieces(d, eth, n, h, via, false);
}

static void tap_frame(struct invpnd *d, uint8_t *eth, size_t n, const struct vnet_hdr *h)
{
	struct link *via;

	d->counters.tap_rx_frames++;
	d->counters.tap_rx_bytes += n;
	if (n < 2 * MAC_LEN + 2)
		return;
	/* the host behind this TAP is the only one we speak for (as the original) */
	if (!mac_eq(eth + MAC_LEN, d->mac)) {
		d->counters.drop_foreign_src++;
		return;
	}
	if (!vnet_is_plain(h)) {
		tap_offloaded(d, eth, n, h);
		return;
	}
	/* a plain frame's BROADCAST form must fit the len field */
	if (n > PROTO_MAX_LEN - PROTO_BCAST_FIXED)
		return;
	if (mac_is_group(eth)) {
		/* broadcast and multicast alike (PROTOCOL.md fix): built in place */
		uint8_t *wire = eth - (PROTO_HDR_SIZE + PROTO_BCAST_FIXED - 2 * MAC_LEN);
		int size = proto_encode_broadcast(wire, n + 5, daemon_next_id(d), eth, n);

		if (size > 0)
			flood(d, NULL, wire, (size_t)size, false);
		return;
	}
	via = route_lookup(&d->routes, eth);
	if (!via) {
		d->counters.drop_no_route++;
		return;
	}
	proto_put_header(eth - PROTO_HDR_SIZE, PROTO_UNICAST, n);
	link_send(via, eth - PROTO_HDR_SIZE, n + PROTO_HDR_SIZE, false);
}

void switch_tap_readable(struct loop_io *io, uint32_t events)
{
	struct invpnd *d = container_of(io, struct invpnd, tap_io);
	uint8_t *eth = d->tap_buf + DAEMON_TAP_HEADROOM;
	size_t hlen = d->tap.vnet ? VNET_HDR_LEN : 0;

	for (int i = 0; i < TAP_BATCH; i++) {
		/* with offloads, the kernel's header lands just before the frame */
		ssize_t n = tap_read(&d->tap, eth - hlen, DAEMON_TAP_MAX_READ + hlen);
		struct vnet_hdr h = {0};

		if (n <= 0) {
			if (n < 0)
				log_ratelimited(&frame_rl, d->loop.now_ms, LOG_WARNING,
						"%s: read: %s", d->tap.name, strerror((int)-n));
			return;
		}
		if ((size_t)n < hlen)
			continue;
		if (hlen)
			vnet_hdr_from_kernel(eth - hlen, &h);
		tap_frame(d, eth, (size_t)n - hlen, &h);
		/* let that link drain before reading more: after_round decides */
		if (link_set_filling(&d->links))
			return;
	}
}

static void bad_frame(struct invpnd *d, struct link *from, uint8_t type, const char *why)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "malformed %s frame (type 0x%02x): %s",
		 proto_type_name(type), type, why);
	link_protocol_error(from, reason);
}

/* A decoder's verdict: true to go on; false if the frame was dropped or the link closed. */
static bool decoded(struct invpnd *d, struct link *from, uint8_t type, int r)
{
	if (r == 0)
		return true;
	if (r == -EPROTONOSUPPORT) {
		log_ratelimited(&frame_rl, d->loop.now_ms, LOG_NOTICE,
				"link %s: %s frame of an unknown version dropped", from->name,
				proto_type_name(type));
		return false;
	}
	bad_frame(d, from, type, "bad length or counts");
	return false;
}

/* The address an INFO should carry for the far end of a link. */
static void observed_address(const struct link *l, struct proto_info *info)
{
	const struct sockaddr_storage *ss = &l->addr;

	info->iptype = PROTO_IP_NONE;
	memset(info->ip, 0, sizeof(info->ip));
	if (ss->ss_family == AF_INET) {
		memcpy(info->ip, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		info->iptype = PROTO_IP_V4;
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(info->ip, a->s6_addr + 12, 4);
			info->iptype = PROTO_IP_V4;
		} else if (IN6_IS_ADDR_LINKLOCAL(a)) {
			/* a link-local address names no interface for anyone else */
			info->iptype = PROTO_IP_NONE;
		} else {
			memcpy(info->ip, a->s6_addr, 16);
			info->iptype = PROTO_IP_V6;
		}
	}
}

/* The ip:port an INFO names; false if it names none (no address, or port 0). */
static bool info_sockaddr(const struct proto_info *info, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	bool v4 = info->iptype == PROTO_IP_V4;

	if (info->iptype == PROTO_IP_NONE || info->port == 0)
		return false;
	if (info->iptype == PROTO_IP_V6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)info->ip))
		v4 = true;
	if (v4)
		*len = addr_make(ss, AF_INET,
				 info->iptype == PROTO_IP_V4 ? info->ip : info->ip + 12, info->port,
				 0);
	else
		*len = addr_make(ss, AF_INET6, info->ip, info->port, 0);
	return true;
}

/* Record ip:port from an INFO as a dialable address of its node. */
static void learn_address(struct invpnd *d, const struct proto_info *info)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!info_sockaddr(info, &ss, &len))
		return;
	if (nodes_add(&d->nodes, info->mac, (struct sockaddr *)&ss, len, NODE_SRC_MESH,
		      loop_wall_ms()) &&
	    d->links.n_up < d->cfg->min_links)
		autoconnect_soon(d);
}

/*
 * The rules for every frame, signed or not (PROTOCOL: Rules). Each refusal
 * is counted; the frame is dropped, the link stays up.
 */
static bool linked_to(const struct invpnd *d, const uint8_t *mac)
{
	/* not by a draining link: its end takes the peer's route from others
	 * before it closes (PROTOCOL: DRAIN), so the route never goes */
	for (const struct link *l = d->links.list; l; l = l->next) {
		if (l->state == LINK_UP && !l->full && !l->drain_ms && mac_eq(l->peer_mac, mac))
			return true;
	}
	return false;
}

static bool id_in_future(struct invpnd *d, const struct link *from, uint8_t type,
			 const uint8_t *origin, int64_t id)
{
	char m[MAC_STRLEN];

	if (!origin_id_too_new(id, loop_wall_ms()))
		return false;
	d->counters.drop_future_id++;
	log_ratelimited(&frame_rl, d->loop.now_ms, LOG_NOTICE,
			"link %s: %s from %s with an id %lld ms ahead of our clock: dropped",
			from->name, proto_type_name(type), mac_format(origin, m),
			(long long)(id - (int64_t)loop_wall_ms()));
	return true;
}

/* May this INFO teach us (or move) a route? Notes a second copy's link as upstream. */
static bool info_allowed(struct invpnd *d, struct link *from, const struct proto_info *info)
{
	struct route *r = route_find(&d->routes, info->mac);
	bool direct = mac_eq(from->peer_mac, info->mac);

	if (id_in_future(d, from, PROTO_INFO, info->mac, info->id))
		return false;
	/*
	 * A copy of the newest INFO: its link is on a path from the origin, so
	 * the reverse-path rule takes the origin's frames from it. Noted before
	 * rule 1 too: a neighbour's unicast may reach us through a third node
	 * (that node's route to us went that way), and refusing it there would
	 * cut the pair off for as long as the routes stay so.
	 */
	if (r && r->info.used && info->id == r->info.top)
		origin_upstream_note(&r->up, from->id);
	/* a route to a linked peer comes only from that link */
	if (!direct && linked_to(d, info->mac)) {
		d->counters.drop_not_direct++;
		return false;
	}
	if (r)
		return true;
	if (direct)
		return true; /* a neighbour always fits: the reserve is for it */
	if (!origin_route_room(d->routes.count, d->routes.max, false)) {
		d->counters.drop_routes_full++;
		return false;
	}
	if (!origin_bucket_take(&from->new_origins, d->loop.now_ms, ORIGIN_NEW_BURST,
				ORIGIN_NEW_PER_S)) {
		d->counters.drop_new_origins++;
		return false;
	}
	return true;
}

/* A unicast frame from src, on from: is from on the path from src? */
static bool unicast_src_ok(struct invpnd *d, const struct link *from, const uint8_t *src)
{
	const struct route *r;

	if (mac_eq(src, d->mac) || !mac_is_node(src)) {
		d->counters.drop_spoofed_src++;
		return false;
	}
	/* the link's own peer speaks for itself (its certificate says so),
	 * whichever way our route to it goes: a draining link's, say */
	if (mac_eq(src, from->peer_mac))
		return true;
	r = route_find(&d->routes, src);
	if (r && (r->via == from || origin_upstream_has(&r->up, from->id)))
		return true;
	d->counters.drop_reverse_path++;
	return false;
}

static void handle_info(struct invpnd *d, struct link *from, const struct proto_info *info,
			const uint8_t *wire, size_t n)
{
	struct route *r;

	if (mac_eq(info->mac, d->mac) || !mac_is_node(info->mac))
		return;
	if (!info_allowed(d, from, info))
		return;
	/* a link about to close: let the copies on other links move the routes
	 * (all but the peer's own: that comes only from its link) */
	if (from->drain_ms)
		return;
	/* (ext) a MAC seen signed is never learned unsigned (announce.c) */
	if (!announce_unsigned_ok(d, info->mac))
		return;
	if (switch_tomb_blocks(d, info->mac, info->id))
		return;
	r = route_learn(&d->routes, info->mac, info->id, from, d->loop.now_ms);
	if (!r) {
		d->counters.drop_duplicate++;
		return;
	}
	origin_upstream_reset(&r->up, from->id);
	r->sig = false; /* (ext) learned unsigned (only where announce_unsigned_ok let it) */
	if (n <= sizeof(r->info_frame)) {
		memcpy(r->info_frame, wire, n);
		r->info_len = (uint8_t)n;
	}
	learn_address(d, info);
	if (!d->cfg->no_relay)
		flood(d, from, wire, n, true);
	daemon_join_round(d);
}

static void on_announce(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_announce a;
	struct proto_info info;
	uint8_t wire[PROTO_INFO_MAX];
	char m1[MAC_STRLEN];
	int n;

	if (!decoded(d, from, PROTO_ANNOUNCE, proto_decode_announce(body, len, &a)))
		return;
	/* (ext) a signing peer's SIGNED INFO follows its CAPS: that one counts */
	if (announce_takes_signed(d, from))
		return;
	if (!mac_eq(a.mac, from->peer_mac)) {
		/* the original let any neighbour announce any MAC (PROTOCOL.md fix) */
		log_ratelimited(&frame_rl, d->loop.now_ms, LOG_WARNING,
				"link %s: ANNOUNCE for %s, which is not the peer: dropped",
				from->name, mac_format(a.mac, m1));
		return;
	}
	info.id = a.id;
	memcpy(info.mac, a.mac, MAC_LEN);
	info.port = a.port;
	observed_address(from, &info);
	n = proto_encode_info(wire, sizeof(wire), &info);
	if (n > 0)
		handle_info(d, from, &info, wire, (size_t)n);
	/*
	 * A link the peer dialled is a success too, once: not for the address it
	 * came from (an ephemeral port), but for the one it can be dialled at,
	 * its announced port at that IP (what learn_address just recorded). A
	 * node that takes no incoming links announces none: nothing to record.
	 */
	if (!from->outgoing && !from->announced && from->state == LINK_UP) {
		struct sockaddr_storage ss;
		socklen_t sslen;

		from->announced = true;
		if (info_sockaddr(&info, &ss, &sslen))
			nodes_inbound_success(&d->nodes, info.mac, (struct sockaddr *)&ss, sslen,
					      loop_wall_ms());
	}
}

static void on_info(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_info info;

	if (decoded(d, from, PROTO_INFO, proto_decode_info(body, len, &info)))
		handle_info(d, from, &info, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE);
}

/*
 * Flooded frames are taken only from origins with a route, only from the
 * link that is that route (the reverse path: checked before the duplicate
 * window, so that a copy on another link marks nothing), with an id not
 * far ahead of our clock, once each. The origin's route, or NULL.
 */
static struct route *accept_flooded(struct invpnd *d, const struct link *from, uint8_t type,
				    const uint8_t *origin, int64_t id)
{
	struct route *r = route_find(&d->routes, origin);
	struct dupwin *w;
	char m[MAC_STRLEN];

	if (!r) {
		d->counters.drop_unknown_origin++;
		return NULL;
	}
	if (r->via != from) {
		d->counters.drop_reverse_path++;
		return NULL;
	}
	if (id_in_future(d, from, type, origin, id))
		return NULL;
	w = route_flood_window(r);
	if (!w) {
		log_ratelimited(&frame_rl, d->loop.now_ms, LOG_WARNING,
				"link %s: %s from %s: no memory for its duplicate window: dropped",
				from->name, proto_type_name(type), mac_format(origin, m));
		return NULL;
	}
	if (!dupwin_is_new(dupwin_check(w, id))) {
		d->counters.drop_duplicate++;
		return NULL;
	}
	return r;
}

/* Copy a frame into the scratch buffer with our MAC appended, if len allows. */
static size_t append_own_mac(struct invpnd *d, const uint8_t *wire, size_t n)
{
	memcpy(d->scratch, wire, n);
	if (n - PROTO_LEN_SIZE + MAC_LEN > PROTO_MAX_LEN)
		return n; /* forwarded without appending (PROTOCOL.md) */
	memcpy(d->scratch + n, d->mac, MAC_LEN);
	proto_put16(d->scratch, (uint16_t)(n - PROTO_LEN_SIZE + MAC_LEN));
	return n + MAC_LEN;
}

static void on_health_req(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_health_req req;
	const uint8_t *wire = body - PROTO_HDR_SIZE;
	struct route *r;
	size_t n;

	if (!decoded(d, from, PROTO_HEALTH_REQ, proto_decode_health_req(body, len, &req)))
		return;
	if (mac_eq(req.origin, d->mac))
		return;
	r = accept_flooded(d, from, PROTO_HEALTH_REQ, req.origin, req.id);
	if (!r)
		return;
	/* each request costs every node an answer: a few per origin, then one a second */
	if (!origin_bucket_take(&r->hreq, d->loop.now_ms, ORIGIN_HREQ_BURST, ORIGIN_HREQ_PER_S)) {
		d->counters.drop_health_rate++;
		return;
	}
	health_answer(&d->health, &req);
	if (d->cfg->no_relay)
		return;
	n = append_own_mac(d, wire, len + PROTO_HDR_SIZE);
	/* not to original nodes: their 0x02 handler hangs or desynchronises (PROTOCOL: CAPS) */
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l != from && l->state == LINK_UP && l->peer_sent_caps)
			link_send(l, d->scratch, n, true);
	}
}

static void on_health_resp(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_health_resp resp;
	struct link *via;
	size_t n;

	if (!decoded(d, from, PROTO_HEALTH_RESP, proto_decode_health_resp(body, len, &resp)))
		return;
	if (mac_eq(resp.dst, d->mac)) {
		health_collect(&d->health, body, len, &resp);
		return;
	}
	via = route_lookup(&d->routes, resp.dst);
	if (d->cfg->no_relay || !via || via == from || !via->peer_sent_caps) {
		d->counters.drop_no_route++;
		return;
	}
	n = append_own_mac(d, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE);
	link_send(via, d->scratch, n, true);
}

static void on_unicast(struct invpnd *d, struct link *from, uint8_t *body, size_t len)
{
	struct proto_unicast u;
	struct link *via;

	if (!decoded(d, from, PROTO_UNICAST, proto_decode_unicast(body, len, &u)))
		return;
	if (!unicast_src_ok(d, from, u.src))
		return;
	if (mac_eq(u.dst, d->mac)) {
		tap_deliver(d, NULL, u.eth, u.eth_len);
		return;
	}
	via = route_lookup(&d->routes, u.dst);
	if (d->cfg->no_relay || !via || via == from) {
		d->counters.drop_no_route++;
		return;
	}
	link_send(via, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE, false);
}

static void on_broadcast(struct invpnd *d, struct link *from, uint8_t *body, size_t len)
{
	struct proto_broadcast b;
	uint8_t *eth;

	if (!decoded(d, from, PROTO_BROADCAST, proto_decode_broadcast(body, len, &b)))
		return;
	if (mac_eq(b.src, d->mac) || !accept_flooded(d, from, PROTO_BROADCAST, b.src, b.id))
		return;
	if (!d->cfg->no_relay)
		flood(d, from, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE, false);
	/* in place: the id's last six bytes become the broadcast destination */
	eth = body + 8 - MAC_LEN;
	memset(eth, 0xff, MAC_LEN);
	tap_deliver(d, NULL, eth, len - 8 + MAC_LEN);
}

static void on_unicast_gso(struct invpnd *d, struct link *from, uint8_t *body, size_t len)
{
	struct proto_unicast u;
	const uint8_t *gh;
	struct vnet_hdr h;
	struct link *via;

	if (!decoded(d, from, PROTO_UNICAST_GSO, proto_decode_unicast_gso(body, len, &gh, &u)))
		return;
	if (!unicast_src_ok(d, from, u.src))
		return;
	vnet_hdr_from_wire(gh, &h);
	/* a peer's header is checked here before it reaches the kernel or the segmenter */
	if (vnet_check(u.eth, u.eth_len, &h) < 0) {
		d->counters.drop_offload++;
		log_ratelimited(&frame_rl, d->loop.now_ms, LOG_NOTICE,
				"link %s: UNICAST GSO frame with a bad offload header dropped",
				from->name);
		return;
	}
	if (mac_eq(u.dst, d->mac)) {
		if (d->tap.vnet) {
			uint8_t kh[VNET_HDR_LEN];

			/* the kernel checks the header; a bad one is refused there */
			vnet_hdr_to_kernel(&h, kh);
			tap_deliver(d, kh, u.eth, u.eth_len);
		} else {
			send_pieces(d, u.eth, u.eth_len, &h, NULL, false);
		}
		return;
	}
	via = route_lookup(&d->routes, u.dst);
	if (d->cfg->no_relay || !via || via == from) {
		d->counters.drop_no_route++;
		return;
	}
	if (via->peer_caps & PROTO_CAPS_GSO)
		link_send(via, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE, false);
	else
		send_pieces(d, u.eth, u.eth_len, &h, via, false);
}

static void on_caps(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	uint32_t caps;

	if (decoded(d, from, PROTO_CAPS, proto_decode_caps(body, len, &caps))) {
		from->peer_caps = caps;
		from->peer_sent_caps = true;
		switch_note_caps(d, caps);
		announce_on_caps(d, from);
	}
}

static void on_degree(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_degree g;
	struct route *r;

	if (!decoded(d, from, PROTO_DEGREE, proto_decode_degree(body, len, &g)))
		return;
	if (mac_eq(g.mac, d->mac))
		return;
	/* known nodes only, once per id: the same bounds as other floods */
	r = route_find(&d->routes, g.mac);
	if (!r || g.id <= r->degree_id || r->via != from ||
	    id_in_future(d, from, PROTO_DEGREE, g.mac, g.id))
		return;
	/* fewer links than it said: one went down or drains, and routes
	 * through it move only with their origins' next INFO; floods are rare
	 * in a big mesh (pace.h), so ours comes soon. Not on the first we take
	 * (a new node's would cost a mesh-wide round); a drop we miss is safe:
	 * the drain is kept (autoconnect.c: drain) */
	if (r->degree_id && g.links < r->degree)
		daemon_refresh_soon(d);
	r->degree = g.links;
	r->degree_id = g.id;
	if (!d->cfg->no_relay)
		flood_mesh(d, from, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE);
}

/* A seed at max_links handed us its addresses: go elsewhere, and not back to it soon. */
static void on_full(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct node_addr *a;

	if (!decoded(d, from, PROTO_FULL, proto_decode_full(body, len)))
		return;
	a = nodes_get(&d->nodes, from->addr_id);
	if (a) {
		/* not a failure: no fails++, just a pause (with jitter) */
		a->next_try_ms = d->loop.now_ms + SWITCH_FULL_PAUSE_MS / 2 +
				 (uint64_t)random() % SWITCH_FULL_PAUSE_MS;
		a->full_ms = d->loop.now_ms;
	}
	d->counters.full_notices++;
	log_notice("link %s: peer is at max_links (FULL): dialling elsewhere", from->name);
	link_close(from, "peer is full");
	autoconnect_soon(d);
}

/* (ext) The peer closes this link soon (or keeps it after all): stop using it too. */
static void on_drain(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	bool closing;

	if (!decoded(d, from, PROTO_DRAIN, proto_decode_drain(body, len, &closing)))
		return;
	if (from->state != LINK_UP || from->full)
		return;
	if (!closing) {
		autoconnect_drain_kept(d, from);
		return;
	}
	if (from->drain_ms)
		return;
	d->counters.drain_notices++;
	log_info("link %s: peer drains this link (DRAIN): moving our routes off it", from->name);
	autoconnect_drain_start(d, from, true);
}

void switch_send_drain(struct link *l, bool closing)
{
	uint8_t f[PROTO_HDR_SIZE + PROTO_DRAIN_BODY];

	if ((l->peer_caps & PROTO_CAPS_DRAIN) && proto_encode_drain(f, sizeof(f), closing) > 0)
		link_send(l, f, sizeof(f), true);
}

/* (ext) GONE goes on only to MESH peers that do not take WITHDRAW: those hear of it that way */
static void flood_gone(struct invpnd *d, const struct link *except, const uint8_t *wire, size_t n)
{
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l != except && l->state == LINK_UP && !l->full && !l->drain_ms &&
		    (l->peer_caps & PROTO_CAPS_MESH) && !(l->peer_caps & PROTO_CAPS_WITHDRAW))
			link_send(l, wire, n, true);
	}
}

static void on_gone(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_gone g;
	struct route *r;

	if (!decoded(d, from, PROTO_GONE, proto_decode_gone(body, len, &g)))
		return;
	if (mac_eq(g.origin, d->mac) || !accept_flooded(d, from, PROTO_GONE, g.origin, g.id))
		return;
	/* an INFO id origin had from gone cannot lie ahead of the clock either */
	if (id_in_future(d, from, PROTO_GONE, g.gone, g.last_id))
		return;
	/* a link went down: routes to us through it are gone at some nodes,
	 * and come back with our next INFO; floods are rare in a big mesh
	 * (pace.h), so one comes soon, at most one per announce_interval */
	daemon_refresh_soon(d);
	r = route_find(&d->routes, g.gone);
	/*
	 * Only a route through the link it came on, that heard nothing newer
	 * than what origin had: origin is on that path, and the path went over
	 * its lost link. (Taken over any link, one GONE naming a live node
	 * dropped every route to it.) A direct link is proof enough. If gone
	 * is alive, it announced afresh when it lost that link.
	 */
	if (r && r->via == from && r->info.used && r->info.top <= g.last_id &&
	    !mac_eq(from->peer_mac, g.gone)) {
		struct withdrawal w;

		d->counters.routes_gone++;
		tomb_add(&d->tombs, g.gone,
			 origin_gone_tomb_id(true, r->info.top, g.last_id, loop_wall_ms()),
			 d->loop.now_ms);
		withdraw_start(&w, from);
		withdraw_route(d, &w, r);
		withdraw_flush(d, &w);
	}
	if (!d->cfg->no_relay)
		flood_gone(d, from, body - PROTO_HDR_SIZE, len + PROTO_HDR_SIZE);
}

static void on_withdraw(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct proto_withdraw w;

	if (decoded(d, from, PROTO_WITHDRAW, proto_decode_withdraw(body, len, &w)))
		withdraw_take(d, from, &w);
}

void switch_frame(struct invpnd *d, struct link *from, uint8_t *frame, size_t len)
{
	uint8_t type = frame[0], *body = frame + 1;
	size_t blen = len - 1;

	/* a newcomer taken in at max_links only gets our addresses (PROTOCOL: FULL) */
	if (from->full)
		return;
	/* (ext) require_signed, and a new link's replay once we know what it takes */
	if (!announce_gate(d, from, type))
		return;
	switch (type) {
	case PROTO_ANNOUNCE:
		on_announce(d, from, body, blen);
		break;
	case PROTO_INFO:
		on_info(d, from, body, blen);
		break;
	case PROTO_HEALTH_REQ:
		on_health_req(d, from, body, blen);
		break;
	case PROTO_HEALTH_RESP:
		on_health_resp(d, from, body, blen);
		break;
	case PROTO_UNICAST:
		on_unicast(d, from, body, blen);
		break;
	case PROTO_BROADCAST:
		on_broadcast(d, from, body, blen);
		break;
	case PROTO_CAPS:
		on_caps(d, from, body, blen);
		break;
	case PROTO_UNICAST_GSO:
		on_unicast_gso(d, from, body, blen);
		break;
	case PROTO_DEGREE:
		on_degree(d, from, body, blen);
		break;
	case PROTO_FULL:
		on_full(d, from, body, blen);
		break;
	case PROTO_GONE:
		on_gone(d, from, body, blen);
		break;
	case PROTO_SIGNED_INFO:
		announce_on_sinfo(d, from, body, blen);
		break;
	case PROTO_CERT_REQ:
		announce_on_cert_req(d, from, body, blen);
		break;
	case PROTO_CERT:
		announce_on_cert(d, from, body, blen);
		break;
	case PROTO_OBSERVED:
		announce_on_observed(d, from, body, blen);
		break;
	case PROTO_WITHDRAW:
		on_withdraw(d, from, body, blen);
		break;
	case PROTO_DRAIN:
		on_drain(d, from, body, blen);
		break;
	default:
		/* unknown types are skipped: their len says how far */
		break;
	}
}

#define DEGREE_EVERY 6

/* The links we say we have: a draining one is as good as gone (others refresh on a drop). */
static unsigned links_kept(const struct invpnd *d)
{
	unsigned n = 0;

	for (const struct link *l = d->links.list; l; l = l->next)
		n += l->state == LINK_UP && !l->full && !l->drain_ms;
	return n;
}

static void send_degree(struct invpnd *d)
{
	uint8_t wire[PROTO_HDR_SIZE + PROTO_DEGREE_BODY];
	struct proto_degree g = {.id = daemon_next_id(d), .links = (uint16_t)links_kept(d)};
	int n;

	d->degree_sent = g.links;
	d->degree_quiet = 0;
	d->degree_sent_ms = d->loop.now_ms;
	loop_timer_cancel(&d->loop, &d->degree_timer);
	memcpy(g.mac, d->mac, MAC_LEN);
	n = proto_encode_degree(wire, sizeof(wire), &g);
	if (n > 0)
		flood_mesh(d, NULL, wire, (size_t)n);
}

void switch_announce(struct invpnd *d)
{
	uint8_t wire[PROTO_INFO_MAX];
	/* one id for the unsigned and the signed form: the same announcement */
	int64_t id = daemon_next_id(d);
	int n;

	if (d->cfg->no_incoming || d->cfg->no_relay) {
		/* nobody should learn an address to dial us at */
		struct proto_info info = {.id = id, .port = d->cfg->port};

		memcpy(info.mac, d->mac, MAC_LEN);
		n = proto_encode_info(wire, sizeof(wire), &info);
	} else {
		struct proto_announce a = {.id = id, .port = d->cfg->port};

		memcpy(a.mac, d->mac, MAC_LEN);
		n = proto_encode_announce(wire, sizeof(wire), &a);
	}
	d->flooded_ms = d->loop.now_ms;
	d->own_info_len = n > 0 ? (size_t)n : 0;
	if (n > 0)
		memcpy(d->own_info, wire, (size_t)n);
	/* (ext) peers that take SIGNED INFO get that instead */
	for (struct link *l = d->links.list; n > 0 && l; l = l->next) {
		if (l->state == LINK_UP && !l->full && !l->drain_ms && !announce_takes_signed(d, l))
			link_send_round(l, wire, (size_t)n);
	}
	announce_round(d, id);
	/* (ext) how many links we have, for dialers choosing among nodes: when
	 * it changed, else with every DEGREE_EVERY-th announcement only (it
	 * doubled the control frames; a node that has not heard it yet counts
	 * us as 2 links meanwhile) */
	if (links_kept(d) != d->degree_sent || ++d->degree_quiet >= DEGREE_EVERY)
		send_degree(d);
}

static void on_degree_timer(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, degree_timer);

	if (links_kept(d) != d->degree_sent)
		send_degree(d);
}

void switch_degree_soon(struct invpnd *d)
{
	uint64_t now = d->loop.now_ms;

	if (links_kept(d) == d->degree_sent)
		return;
	if (!d->degree_sent_ms || now - d->degree_sent_ms >= SWITCH_DEGREE_MIN_MS)
		send_degree(d);
	else if (!d->degree_timer.armed)
		loop_timer_arm_at(&d->loop, &d->degree_timer,
				  d->degree_sent_ms + SWITCH_DEGREE_MIN_MS, on_degree_timer);
}

void switch_note_caps(struct invpnd *d, uint32_t caps)
{
	/* an invpn node of an earlier version: it expires routes after its
	 * route_timeout (30 s), whatever our interval (PROTOCOL: Timing) */
	if ((caps & PROTO_CAPS_MESH) && !(caps & PROTO_CAPS_PACE))
		d->unpaced_seen_ms = d->loop.now_ms ? d->loop.now_ms : 1;
}

void switch_keepalive(struct invpnd *d, uint64_t idle_ms)
{
	uint64_t now = d->loop.now_ms;

	/*
	 * Our last announcement again, the same id: the peer drops it as a
	 * duplicate (an original too), and its link_timeout starts again.
	 * Draining links too: they carry no floods, but must live until closed.
	 */
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l->state != LINK_UP || l->full || now - l->last_tx_ms < idle_ms)
			continue;
		if (announce_takes_signed(d, l)) {
			if (announce_keepalive(d, l))
				d->counters.keepalives++;
		} else if (d->own_info_len && link_send_round(l, d->own_info, d->own_info_len)) {
			d->counters.keepalives++;
		}
	}
}

struct replay {
	struct invpnd *d;
	struct link *to;
	uint64_t now_ms, fresh_ms;
};

/*
 * Routes heard of within the last announce interval and a half only: the
 * receiver takes a replay as new (its clock starts again), so replaying a
 * route whose origin went silent would keep a dead node alive from link-up
 * to link-up. A live origin's next INFO brings the others soon enough.
 */
static bool replay_route(const struct route *r, void *arg)
{
	struct replay *rp = arg;

	if (r->via == rp->to || rp->now_ms - r->updated_ms > rp->fresh_ms)
		return false;
	/* (ext) a signed route goes as signed to a peer that takes it */
	if (rp->d && announce_replay(rp->d, r, rp->to))
		return true;
	return r->info_len && link_send(rp->to, r->info_frame, r->info_len, true);
}

/*
 * The replay goes in steps: SWITCH_REPLAY_BURST routes at once, then
 * SWITCH_REPLAY_PER_S a second, under what the peer takes from one link
 * about nodes new to it (ORIGIN_NEW_BURST, ORIGIN_NEW_PER_S). All at once,
 * a joiner dropped what passed its budget, and those nodes came only with
 * their next INFO: a minute in a big mesh (pace.h).
 */
static void replay_step(struct invpnd *d, struct link *l, size_t budget)
{
	struct replay rp = {l->replay_signed ? d : NULL, l, d->loop.now_ms,
			    daemon_flood_ms(d) * 3 / 2};

	route_foreach_from(&d->routes, &l->replay_bucket, budget, replay_route, &rp);
	if (l->replay_bucket >= d->routes.nbuckets)
		l->replaying = false;
}

static void replay_start(struct invpnd *d, struct link *l, bool sig, size_t budget)
{
	l->replaying = true;
	l->replay_signed = sig;
	l->replay_bucket = 0;
	replay_step(d, l, budget);
}

void switch_replay(struct invpnd *d, struct link *l)
{
	replay_start(d, l, true, SWITCH_REPLAY_BURST);
}

void switch_replay_tick(struct invpnd *d)
{
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l->replaying && l->state == LINK_UP && !l->full)
			replay_step(d, l, SWITCH_REPLAY_PER_S);
	}
}

void switch_link_up(struct invpnd *d, struct link *l)
{
	uint8_t caps[PROTO_HDR_SIZE + PROTO_CAPS_BODY];
	uint8_t full[PROTO_HDR_SIZE + PROTO_FULL_BODY];
	uint32_t bits = PROTO_CAPS_MESH | PROTO_CAPS_WITHDRAW | PROTO_CAPS_DRAIN | PROTO_CAPS_PACE;

	/*
	 * On every link, first: it says we are no original node (which may be
	 * sent 0x02/0x03), what we can take (large frames, if our TAP hands them
	 * over) and that we speak the mesh extensions (PROTOCOL: CAPS)
	 */
	if (d->tap.vnet)
		bits |= PROTO_CAPS_GSO;
	bits |= announce_caps(d);
	if (proto_encode_caps(caps, sizeof(caps), bits) > 0)
		link_send(l, caps, sizeof(caps), true);
	if (l->full) {
		/* at max_links: the addresses we know, then why we close (PROTOCOL: FULL).
		 * An original node skips FULL and sees the close. All at once: the
		 * link closes in 3 s, and the newcomer needs only some of them. */
		replay_start(d, l, false, SIZE_MAX);
		if (proto_encode_full(full, sizeof(full)) > 0)
			link_send(l, full, sizeof(full), true);
		return;
	}
	/* (ext) its certificate; with signing on, the replay waits for its CAPS */
	announce_link_up(d, l);
	/* tell everyone (a fresh id), and tell the new neighbour what we know */
	switch_announce(d);
	if (!d->cfg->no_relay && !l->sig_intro)
		replay_start(d, l, false, SWITCH_REPLAY_BURST);
}

/* Another link up to the same peer (a duplicate, a re-dial), or NULL. */
static struct link *twin_link(struct invpnd *d, const struct link *l)
{
	for (struct link *o = d->links.list; o; o = o->next) {
		if (o != l && o->state == LINK_UP && !o->full && mac_eq(o->peer_mac, l->peer_mac))
			return o;
	}
	return NULL;
}

/*
 * (ext) The GONE for a closed link's peer, if we had its route over that
 * link, in wire (and a tomb here: old copies of its INFO, replays, do not
 * bring the route back); for MESH peers that do not take WITHDRAW
 * (PROTOCOL: GONE). false if there is nothing to say.
 */
static bool make_gone(struct invpnd *d, const struct link *l,
		      uint8_t wire[PROTO_HDR_SIZE + PROTO_GONE_BODY])
{
	const struct route *r = route_find(&d->routes, l->peer_mac);
	struct proto_gone g = {.id = daemon_next_id(d)};

	if (!r || r->via != l || !r->info.used)
		return false;
	g.last_id = r->info.top;
	memcpy(g.origin, d->mac, MAC_LEN);
	memcpy(g.gone, l->peer_mac, MAC_LEN);
	if (proto_encode_gone(wire, PROTO_HDR_SIZE + PROTO_GONE_BODY, &g) <= 0)
		return false;
	tomb_add(&d->tombs, g.gone, g.last_id, d->loop.now_ms);
	return true;
}

void switch_link_down(struct invpnd *d, struct link *l)
{
	uint8_t gone[PROTO_HDR_SIZE + PROTO_GONE_BODY];
	bool say_gone = false;
	struct link *twin;
	size_t n;

	if (l->full)
		return; /* it carried nothing of ours */
	announce_link_down(d, l);
	/* a duplicate closed: its routes lead to the same peer over the other
	 * link, nothing is gone (and nothing to say, not even an announcement:
	 * our links to others did not change) */
	twin = d->stopping ? NULL : twin_link(d, l);
	if (twin) {
		n = route_move_link(&d->routes, l, twin);
		if (n)
			log_debug("%zu route(s) through %s moved to %s", n, l->name, twin->name);
		return;
	}
	if (!d->stopping) {
		say_gone = make_gone(d, l, gone);
		/* (ext) every route through it, to our WITHDRAW peers */
		withdraw_link_down(d, l);
	}
	n = route_drop_link(&d->routes, l);
	if (n)
		log_debug("%zu route(s) through %s dropped", n, l->name);
	if (d->stopping)
		return;
	/* before our fresh announcement: see PROTOCOL.md (0x07 GONE) for why */
	if (say_gone)
		flood_gone(d, l, gone, sizeof(gone));
	switch_announce(d);
}

/* For announce.c: the pieces of INFO handling that signed announcements share. */
void switch_observed_info(const struct link *l, struct proto_info *info)
{
	observed_address(l, info);
}

void switch_learn_address(struct invpnd *d, const struct proto_info *info)
{
	learn_address(d, info);
}

bool switch_tomb_blocks(struct invpnd *d, const uint8_t mac[MAC_LEN], int64_t id)
{
	if (!tomb_blocks(&d->tombs, mac, id, d->loop.now_ms))
		return false;
	d->counters.drop_duplicate++;
	return true;
}

void switch_note_inbound(struct invpnd *d, struct link *from, const struct proto_info *info)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	if (from->outgoing || from->announced || from->state != LINK_UP)
		return;
	from->announced = true;
	if (info_sockaddr(info, &ss, &sslen))
		nodes_inbound_success(&d->nodes, info->mac, (struct sockaddr *)&ss, sslen,
				      loop_wall_ms());
}

bool switch_info_allowed(struct invpnd *d, struct link *from, const struct proto_info *info)
{
	return info_allowed(d, from, info);
}

void switch_route_taken(struct route *r, const struct link *from)
{
	origin_upstream_reset(&r->up, from->id);
}
