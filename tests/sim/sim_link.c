/*
 * link.h over simulated pipes: what link.c does with sockets and TLS, done
 * with events on the simulator's queue. The rules that decide which links
 * live are link.c's, copied (keep them in step): a handshake that names
 * ourselves, a peer other than the one expected, max_links (an outgoing
 * link is closed, an incoming newcomer is taken in as FULL, at most
 * LINK_MAX_FULL of them), duplicates (the link dialled by the lower MAC
 * stays), a dial is a success only when the peer's first frame came, the
 * handshake timeout, the FULL linger and link_timeout.
 *
 * Timing (one-way latency lat between the two nodes, TLS 1.3 over TCP):
 * dial at t; SYN, SYN-ACK, then ACK + ClientHello reach the server at t+3lat
 * (a node that is not running refuses at t+2lat); the server's flight
 * reaches the client at t+4lat, which is then up and sends its Finished and
 * first frames; the server is up at t+5lat. Across a partition, a dial
 * fails after a round trip (host unreachable); frames and closes in flight
 * across it are lost.
 *
 * Output: link_send appends to the link's pending record; at the round's
 * end (link_after_round) each link's pending bytes travel as one record
 * (link.c writes TLS records of up to 16 KiB) and arrive together, so the
 * receiver handles them in one round, as one SSL_read would. No bandwidth,
 * no loss, no queueing: the output caps are kept (a round's record above
 * LINK_OUT_CAP drops frames, counted) but never fill in practice.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "link.h"
#include "log.h"
#include "proto.h"
#include "sim.h"
#include "util.h"

/* the wire cost estimated per TLS record and per TCP segment (see bench/README.md) */
#define SIM_TLS_RECORD_OVERHEAD 22  /* 5 header + 1 inner type + 16 AEAD tag */
#define SIM_TCP_SEGMENT_OVERHEAD 66 /* Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12 */
#define SIM_MSS 1448

struct sim_link {
	struct link l;
	uint32_t node; /* our node */
	bool peer_known;
	bool peer_closed; /* the other end is gone: send it nothing, not even a close */
	uint32_t peer_node;
	uint64_t peer_link;
	uint32_t lat;
	uint8_t *pend; /* frames sent this round */
	size_t pend_len, pend_cap;
};

static struct sim_link *sl(struct link *l)
{
	return container_of(l, struct sim_link, l);
}

static struct sim_node *node_of_set(struct link_set *s)
{
	return container_of(s, struct sim_node, d.links);
}

#define EMIT(s, event, ...)                          \
	do {                                         \
		if ((s)->ev && (s)->ev->event)       \
			(s)->ev->event(__VA_ARGS__); \
	} while (0)

void link_set_check(const struct link_set *s)
{
	size_t n = 0, up = 0, in = 0, out = 0;

	for (const struct link *l = s->list; l; l = l->next) {
		n++;
		if (l->state == LINK_UP)
			up++;
		else if (l->outgoing)
			out++;
		else
			in++;
	}
	if (n != s->n_links || up != s->n_up || in != s->n_pending_in || out != s->n_dialing) {
		log_err("sim link set: counts %zu/%zu/%zu/%zu, list %zu/%zu/%zu/%zu", s->n_links,
			s->n_up, s->n_pending_in, s->n_dialing, n, up, in, out);
		abort();
	}
}

void link_set_init(struct link_set *s, struct loop *loop, const struct tls *tls,
		   const uint8_t mac[MAC_LEN], const struct link_events *ev)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->tls = tls;
	s->ev = ev;
	memcpy(s->mac, mac, MAC_LEN);
	s->max_links = 16;
	s->idle_ms = 15000;
}

const char *link_state_name(enum link_state s)
{
	static const char *const names[] = {"connecting", "handshake", "up", "closed"};

	return s <= LINK_CLOSED ? names[s] : "?";
}

static void set_name(struct link *l)
{
	char addr[64], mac[MAC_STRLEN];

	addr_format((const struct sockaddr *)&l->addr, addr, sizeof(addr));
	if (l->state == LINK_UP)
		snprintf(l->name, sizeof(l->name), "%s (%s)", mac_format(l->peer_mac, mac), addr);
	else
		snprintf(l->name, sizeof(l->name), "%s", addr);
}

static struct sim_link *link_new(struct link_set *s, const struct sockaddr *addr, socklen_t addrlen,
				 bool outgoing, enum link_state state)
{
	struct sim_link *x = calloc(1, sizeof(*x));
	struct link *l;

	if (!x)
		return NULL;
	l = &x->l;
	x->node = node_of_set(s)->idx;
	l->set = s;
	/* ids are global and never reused, so an event for a gone link finds nothing */
	l->id = ++sim.next_link_id;
	l->outgoing = outgoing;
	l->state = state;
	memcpy(&l->addr, addr, addrlen < sizeof(l->addr) ? addrlen : sizeof(l->addr));
	l->addrlen = addrlen;
	l->created_ms = l->last_rx_ms = loop_clock_ms();
	l->io.fd = -1;
	set_name(l);
	l->next = s->list;
	if (s->list)
		s->list->prev = l;
	s->list = l;
	s->n_links++;
	if (outgoing)
		s->n_dialing++;
	else
		s->n_pending_in++;
	return x;
}

static struct sim_link *find_link(uint32_t node, uint64_t id)
{
	struct sim_node *n = node < sim.n ? sim.nodes[node] : NULL;

	if (!n || !n->alive)
		return NULL;
	for (struct link *l = n->d.links.list; l; l = l->next) {
		if (l->id == id)
			return sl(l);
	}
	return NULL;
}

/* Something travels from x to its peer: it arrives after the pair's latency. */
/* The far end of a dial or handshake that e answers is closed, one latency later. */
static void close_far_end(const struct sim_ev *e)
{
	struct sim_ev f = {.when = sim.now + sim_latency(e->node, e->src_node),
			   .kind = SIM_EV_CLOSE,
			   .node = e->src_node,
			   .src_node = e->node,
			   .link = e->src_link};

	sim_push(&f);
}

static void to_peer(struct sim_link *x, enum sim_ev_kind kind, uint8_t *data, uint32_t len)
{
	struct sim_ev e = {.when = sim.now + x->lat,
			   .kind = (uint8_t)kind,
			   .node = x->peer_node,
			   .src_node = x->node,
			   .link = x->peer_link,
			   .src_link = x->l.id,
			   .data = data,
			   .len = len};

	sim_push(&e);
}

struct link *link_dial(struct link_set *s, const struct sockaddr *addr, socklen_t addrlen,
		       const uint8_t *expect_mac, uint64_t addr_id)
{
	struct sim_node *me = node_of_set(s);
	long target = sim_addr_node(addr);
	struct sim_link *x;
	struct sim_ev e = {0};

	if (target < 0) {
		/* no such host in the simulated underlay: connect fails at once */
		EMIT(s, dial_done, s, addr_id, false, NULL);
		return NULL;
	}
	x = link_new(s, addr, addrlen, true, LINK_CONNECTING);
	if (!x) {
		EMIT(s, dial_done, s, addr_id, false, NULL);
		return NULL;
	}
	x->l.addr_id = addr_id;
	if (expect_mac) {
		x->l.expect_mac = true;
		memcpy(x->l.expected_mac, expect_mac, MAC_LEN);
	}
	x->peer_node = (uint32_t)target;
	x->lat = sim_latency(me->idx, (uint32_t)target);
	e.src_node = me->idx;
	e.src_link = x->l.id;
	e.node = (uint32_t)target;
	if (sim_cut(me->idx, (uint32_t)target) || !sim.nodes[target]->alive) {
		/* connection refused (not running), or host unreachable (the cut):
		 * the dial fails after a round trip */
		e.kind = SIM_EV_DIAL_FAIL;
		e.when = sim.now + 2 * x->lat;
		e.node = me->idx;
		e.link = x->l.id;
	} else {
		e.kind = SIM_EV_DIAL_ARRIVE;
		e.when = sim.now + 3 * x->lat;
	}
	sim_push(&e);
	return &x->l;
}

struct link *link_accept(struct link_set *s, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	struct sim_link *x = link_new(s, addr, addrlen, false, LINK_HANDSHAKE);

	return x ? &x->l : NULL;
}

int link_admit(struct link_set *s, const struct sockaddr *addr, const char **why)
{
	/* link.c's per-address and total bounds (the reserve for known nodes is not simulated) */
	size_t same = 0;

	if (s->n_pending_in >= LINK_PENDING_MAX) {
		s->c.refused++;
		s->c.refused_full++;
		*why = "every handshake slot is taken";
		return -EBUSY;
	}
	for (struct link *l = s->list; l; l = l->next) {
		if (!l->outgoing && l->state == LINK_HANDSHAKE &&
		    sim_addr_node(&l->addr) == sim_addr_node(addr))
			same++;
	}
	if (same >= LINK_PENDING_PER_ADDR) {
		s->c.refused++;
		s->c.refused_per_addr++;
		*why = "too many unfinished handshakes from that address";
		return -EBUSY;
	}
	return 0;
}

static struct link *find_up(struct link_set *s, const uint8_t mac[MAC_LEN],
			    const struct link *except)
{
	for (struct link *o = s->list; o; o = o->next) {
		if (o != except && o->state == LINK_UP && !o->full && mac_eq(o->peer_mac, mac))
			return o;
	}
	return NULL;
}

/* link.c: both ends keep the link dialled by the node with the lower MAC */
static bool resolve_duplicate(struct link *l)
{
	struct link_set *s = l->set;
	struct link *other = find_up(s, l->peer_mac, l);
	const uint8_t *lower;
	bool l_ok, other_ok;

	if (!other)
		return true;
	lower = memcmp(s->mac, l->peer_mac, MAC_LEN) < 0 ? s->mac : l->peer_mac;
	l_ok = mac_eq(l->outgoing ? s->mac : l->peer_mac, lower);
	other_ok = mac_eq(other->outgoing ? s->mac : other->peer_mac, lower);
	if (l_ok && !other_ok) {
		link_close(other, "duplicate link (keeping the one dialled by the lower MAC)");
		return true;
	}
	link_close(l, "duplicate link (keeping the one dialled by the lower MAC)");
	return false;
}

/* link.c's handshake_done, after TLS named the peer (its MAC is in l->peer_mac) */
static void handshake_done(struct sim_link *x)
{
	struct link *l = &x->l;
	struct link_set *s = l->set;

	if (mac_eq(l->peer_mac, s->mac)) {
		if (l->outgoing)
			EMIT(s, self, s, l->addr_id);
		link_close(l, "link to self");
		return;
	}
	if (l->expect_mac && !mac_eq(l->peer_mac, l->expected_mac)) {
		s->c.refused++;
		link_close(l, NULL);
		return;
	}
	if (s->n_up - s->n_full >= s->max_links) {
		if (l->outgoing || s->n_full >= LINK_MAX_FULL || find_up(s, l->peer_mac, l)) {
			link_close(l, "max_links reached");
			return;
		}
		l->full = true;
	} else if (!resolve_duplicate(l)) {
		return;
	}
	if (l->outgoing)
		s->n_dialing--;
	else
		s->n_pending_in--;
	l->state = LINK_UP;
	s->n_up++;
	if (l->full) {
		s->n_full++;
		s->c.full_refused++;
	}
	l->up_ms = l->last_rx_ms = l->last_tx_ms = loop_clock_ms();
	set_name(l);
	/* the client's Finished goes ahead of its first frames */
	if (l->outgoing)
		to_peer(x, SIM_EV_FINISHED, NULL, 0);
	EMIT(s, up, l);
	EMIT(s, changed, s);
}

/* link.c's parse_frames over one arrived record */
static void parse_frames(struct sim_link *x, uint8_t *buf, size_t n)
{
	struct link *l = &x->l;
	size_t pos = 0;

	while (n - pos >= PROTO_LEN_SIZE) {
		size_t len = proto_get16(buf + pos);

		if (len == 0) {
			link_protocol_error(l, "frame of length 0");
			return;
		}
		if (n - pos - PROTO_LEN_SIZE < len)
			break; /* never: records carry whole frames */
		l->c.rx_frames++;
		l->c.rx_bytes += PROTO_LEN_SIZE + len;
		if (!proto_type_known(buf[pos + PROTO_LEN_SIZE])) {
			if (++l->unknown_run >= LINK_MAX_UNKNOWN_RUN) {
				link_protocol_error(l, "frames of unknown types in a row");
				return;
			}
		} else {
			l->unknown_run = 0;
			l->last_rx_ms = l->set->loop->now_ms;
		}
		if (!l->confirmed) {
			l->confirmed = true;
			EMIT(l->set, dial_done, l->set, l->addr_id, true, l->peer_mac);
		}
		EMIT(l->set, frame, l, buf + pos + PROTO_LEN_SIZE, len);
		if (l->state != LINK_UP)
			return;
		pos += PROTO_LEN_SIZE + len;
	}
}

/* link.c's link_reserve and frame_queued: append to this round's record */
static bool queue(struct link *l, const void *frame, size_t n, bool control)
{
	struct sim_link *x = sl(l);
	struct sim_node *me = node_of_set(l->set);
	size_t cap = control ? LINK_OUT_CAP : LINK_OUT_DATA_CAP;
	uint8_t type = n > PROTO_LEN_SIZE ? ((const uint8_t *)frame)[PROTO_LEN_SIZE] : 0;

	if (l->state != LINK_UP || x->pend_len + n > cap) {
		if (l->state == LINK_UP) {
			l->c.drops++;
			l->set->c.queue_full++;
		}
		return false;
	}
	if (x->pend_len + n > x->pend_cap) {
		size_t c = x->pend_cap ? 2 * x->pend_cap : 256;
		uint8_t *p;

		while (c < x->pend_len + n)
			c *= 2;
		p = realloc(x->pend, c);
		if (!p)
			return false;
		x->pend = p;
		x->pend_cap = c;
	}
	memcpy(x->pend + x->pend_len, frame, n);
	x->pend_len += n;
	l->last_tx_ms = l->set->loop->now_ms;
	l->c.tx_frames++;
	l->c.tx_bytes += n;
	sim.tx.frames[type]++;
	sim.tx.bytes[type] += n;
	me->tx_frames++;
	me->tx_bytes += n;
	return true;
}

static void mark_dirty(struct link *l)
{
	l->batched = false;
	if (!l->on_dirty_list) {
		l->on_dirty_list = true;
		l->next_dirty = l->set->dirty;
		l->set->dirty = l;
	}
}

bool link_send(struct link *l, const void *frame, size_t n, bool control)
{
	if (!queue(l, frame, n, control))
		return false;
	mark_dirty(l);
	return true;
}

/* as link.c's: held for LINK_ROUND_BATCH_MS, then one record with the rest */
static void on_batch(struct loop_timer *t)
{
	struct link_set *s = container_of(t, struct link_set, batch);

	for (struct link *l = s->list; l; l = l->next) {
		if (l->batched)
			mark_dirty(l);
	}
}

bool link_send_round(struct link *l, const void *frame, size_t n)
{
	if (!queue(l, frame, n, true))
		return false;
	if (!l->on_dirty_list)
		l->batched = true;
	if (!l->set->batch.armed)
		loop_timer_arm(l->set->loop, &l->set->batch, LINK_ROUND_BATCH_MS, on_batch);
	return true;
}

void link_close(struct link *l, const char *reason)
{
	struct link_set *s = l->set;
	struct sim_link *x = sl(l);
	enum link_state was = l->state;

	if (was == LINK_CLOSED)
		return;
	l->state = LINK_CLOSED;
	loop_io_del(s->loop, &l->io);
	/* what this round queued is lost; the other end hears of the close */
	x->pend_len = 0;
	if (x->peer_known && !x->peer_closed)
		to_peer(x, SIM_EV_CLOSE, NULL, 0);
	if (l->prev)
		l->prev->next = l->next;
	else
		s->list = l->next;
	if (l->next)
		l->next->prev = l->prev;
	s->n_links--;
	if (was == LINK_UP) {
		s->n_up--;
		if (l->full)
			s->n_full--;
	} else if (l->outgoing)
		s->n_dialing--;
	else
		s->n_pending_in--;
	l->next_dead = s->dead;
	s->dead = l;
	if (was == LINK_UP) {
		if (l->outgoing && !l->confirmed)
			EMIT(s, dial_done, s, l->addr_id, false, NULL);
		EMIT(s, down, l);
	} else if (l->outgoing) {
		EMIT(s, dial_done, s, l->addr_id, false, NULL);
	}
	EMIT(s, changed, s);
}

void link_protocol_error(struct link *l, const char *why)
{
	if (l->state == LINK_CLOSED)
		return;
	l->set->c.bad_frames++;
	log_warn("sim: link %s: protocol error: %s", l->name, why);
	link_close(l, why);
}

static void link_free(struct link *l)
{
	free(sl(l)->pend);
	free(sl(l));
}

/* Each dirty link's round of frames leaves as one record (two past 16 KiB...). */
static void flush(struct sim_link *x)
{
	struct sim_node *me = sim.nodes[x->node];
	size_t n = x->pend_len, records, segments;
	uint8_t *data;

	x->l.on_dirty_list = false;
	if (!n || x->l.state != LINK_UP)
		return;
	data = malloc(n);
	if (!data)
		return;
	memcpy(data, x->pend, n);
	x->pend_len = 0;
	records = (n + LINK_WRITE_CHUNK - 1) / LINK_WRITE_CHUNK;
	segments = (n + records * SIM_TLS_RECORD_OVERHEAD + SIM_MSS - 1) / SIM_MSS;
	sim.tx.records += records;
	sim.tx.segments += segments;
	me->tx_wire += n + records * SIM_TLS_RECORD_OVERHEAD + segments * SIM_TCP_SEGMENT_OVERHEAD;
	to_peer(x, SIM_EV_DATA, data, (uint32_t)n);
}

void link_after_round(struct link_set *s)
{
	while (s->dirty) {
		struct link *l = s->dirty;

		s->dirty = l->next_dirty;
		flush(sl(l));
	}
	while (s->dead) {
		struct link *l = s->dead;

		s->dead = l->next_dead;
		link_free(l);
	}
	s->filling = false;
}

void link_check_timeouts(struct link_set *s, uint64_t now_ms)
{
	for (struct link *l = s->list, *next; l; l = next) {
		next = l->next;
		if (l->state != LINK_UP && now_ms - l->created_ms >= LINK_HANDSHAKE_TIMEOUT_MS) {
			s->c.refused++;
			link_close(l, "handshake timeout");
		} else if (l->state == LINK_UP && l->full &&
			   now_ms - l->up_ms >= LINK_FULL_LINGER_MS) {
			link_close(l, "max_links reached (FULL sent)");
		} else if (l->state == LINK_UP && now_ms - l->last_rx_ms >= s->idle_ms) {
			link_close(l, "peer silent for link_timeout");
		}
	}
}

void link_close_all(struct link_set *s)
{
	while (s->list)
		link_close(s->list, "shutting down");
	s->dirty = NULL;
	link_after_round(s);
	loop_timer_cancel(s->loop, &s->batch);
}

/* The cut: both ends of every link across it go at once, as if each timed out. */
void sim_link_cut(void)
{
	for (uint32_t i = 0; i < sim.n; i++) {
		struct sim_node *n = sim.nodes[i];

		if (!n->alive)
			continue;
		n->d.loop.now_ms = sim.now;
		for (struct link *l = n->d.links.list, *next; l; l = next) {
			next = l->next;
			if (sl(l)->peer_known && sim_cut(i, sl(l)->peer_node)) {
				sl(l)->peer_closed = true;
				link_close(l, "partition");
			}
		}
		sim_node_after_round(n);
	}
}

void sim_link_event(const struct sim_ev *e)
{
	struct sim_node *n = sim.nodes[e->node];
	struct sim_link *x;

	if (!n->alive || sim_cut(e->node, e->src_node))
		return;
	n->d.loop.now_ms = sim.now;
	switch (e->kind) {
	case SIM_EV_DIAL_ARRIVE: {
		struct sockaddr_storage from;
		const char *why;

		sim_node_addr(e->src_node, &from, (uint16_t)(32768 + random() % 28000));
		if (link_admit(&n->d.links, (struct sockaddr *)&from, &why) < 0) {
			close_far_end(e);
			return;
		}
		x = sl(link_accept(&n->d.links, -1, (struct sockaddr *)&from,
				   sizeof(struct sockaddr_in)));
		if (!x)
			return;
		sim.tx.handshakes++;
		x->peer_known = true;
		x->peer_node = e->src_node;
		x->peer_link = e->src_link;
		x->lat = sim_latency(e->node, e->src_node);
		to_peer(x, SIM_EV_CLIENT_DONE, NULL, 0);
		break;
	}
	case SIM_EV_DIAL_FAIL:
		if ((x = find_link(e->node, e->link)) && x->l.state != LINK_UP)
			link_close(&x->l, "connection refused");
		break;
	case SIM_EV_CLIENT_DONE:
		x = find_link(e->node, e->link);
		if (!x || x->l.state == LINK_UP) {
			/* we gave up meanwhile: the server's half-open link goes too */
			close_far_end(e);
			break;
		}
		x->peer_known = true;
		x->peer_link = e->src_link;
		x->l.state = LINK_HANDSHAKE;
		sim_node_mac(e->src_node, x->l.peer_mac);
		handshake_done(x);
		break;
	case SIM_EV_FINISHED:
		x = find_link(e->node, e->link);
		if (!x || x->l.state != LINK_HANDSHAKE)
			break;
		sim_node_mac(e->src_node, x->l.peer_mac);
		handshake_done(x);
		break;
	case SIM_EV_DATA:
		x = find_link(e->node, e->link);
		if (x && x->l.state == LINK_UP)
			parse_frames(x, e->data, e->len);
		break;
	case SIM_EV_CLOSE:
		x = find_link(e->node, e->link);
		if (x) {
			x->peer_closed = true;
			link_close(&x->l, "closed by peer");
		}
		break;
	default:
		break;
	}
	sim_node_after_round(n);
}
