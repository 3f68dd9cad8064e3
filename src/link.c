#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "proto.h"
#include "tls.h"
#include "util.h"

static struct ratelimit refuse_rl;

/* Tell the owner; every event is optional. */
#define EMIT(s, event, ...)                          \
	do {                                         \
		if ((s)->ev && (s)->ev->event)       \
			(s)->ev->event(__VA_ARGS__); \
	} while (0)

static void dial_done(struct link_set *s, uint64_t addr_id, bool ok, const uint8_t *mac)
{
	if (!ok)
		s->c.dial_failures++;
	EMIT(s, dial_done, s, addr_id, ok, mac);
}

#ifdef NDEBUG
void link_set_check(const struct link_set *s)
{
	(void)s;
}
#else
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
		if (l->state == LINK_CLOSED || (l->next && l->next->prev != l) ||
		    (!l->prev && s->list != l)) {
			log_err("link set: list broken at %s", l->name);
			abort();
		}
	}
	if (n != s->n_links || up != s->n_up || in != s->n_pending_in || out != s->n_dialing) {
		log_err("link set: counts %zu/%zu/%zu/%zu, list %zu/%zu/%zu/%zu (links/up/in/out)",
			s->n_links, s->n_up, s->n_pending_in, s->n_dialing, n, up, in, out);
		abort();
	}
}
#endif

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

static void link_io(struct loop_io *io, uint32_t events);

static struct link *link_new(struct link_set *s, int fd, const struct sockaddr *addr,
			     socklen_t addrlen, bool outgoing, enum link_state state,
			     uint32_t events)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->set = s;
	l->id = ++s->next_id;
	l->outgoing = outgoing;
	l->state = state;
	memcpy(&l->addr, addr, addrlen < sizeof(l->addr) ? addrlen : sizeof(l->addr));
	l->addrlen = addrlen;
	l->created_ms = l->last_rx_ms = loop_clock_ms();
	set_name(l);
	if (loop_io_add(s->loop, &l->io, fd, events, link_io) < 0) {
		free(l);
		return NULL;
	}
	l->next = s->list;
	if (s->list)
		s->list->prev = l;
	s->list = l;
	s->n_links++;
	if (outgoing)
		s->n_dialing++;
	else
		s->n_pending_in++;
	link_set_check(s);
	return l;
}

static void tune_socket(int fd)
{
	int one = 1;

	/* frames are coalesced by us, not by Nagle; latency matters for pings */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

static void do_handshake(struct link *l);

static void start_tls(struct link *l)
{
	l->ssl = SSL_new(l->set->tls->ctx);
	if (!l->ssl || SSL_set_fd(l->ssl, l->io.fd) != 1) {
		link_close(l, "cannot create a TLS session");
		return;
	}
	if (l->outgoing)
		SSL_set_connect_state(l->ssl);
	else
		SSL_set_accept_state(l->ssl);
	l->state = LINK_HANDSHAKE;
	do_handshake(l);
}

struct link *link_dial(struct link_set *s, const struct sockaddr *addr, socklen_t addrlen,
		       const uint8_t *expect_mac, uint64_t addr_id)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct link *l;
	char name[64];

	s->c.dials++;
	addr_format(addr, name, sizeof(name));
	if (fd < 0) {
		log_warn("dial %s: socket: %s", name, strerror(errno));
		goto fail;
	}
	tune_socket(fd);
	if (connect(fd, addr, addrlen) < 0 && errno != EINPROGRESS) {
		log_info("dial %s: %s", name, strerror(errno));
		close(fd);
		goto fail;
	}
	l = link_new(s, fd, addr, addrlen, true, LINK_CONNECTING, EPOLLOUT);
	if (!l) {
		close(fd);
		goto fail;
	}
	l->addr_id = addr_id;
	if (expect_mac) {
		l->expect_mac = true;
		memcpy(l->expected_mac, expect_mac, MAC_LEN);
	}
	log_debug("dialling %s", l->name);
	return l;
fail:
	dial_done(s, addr_id, false, NULL);
	return NULL;
}

/* An address's IP in IPv6 form (IPv4 as ::ffff:a.b.c.d), the key of the slot rules. */
static bool ip_key(const struct sockaddr *sa, uint8_t key[16])
{
	if (sa->sa_family == AF_INET) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static bool known_addr(const struct link_set *s, const uint8_t key[16])
{
	for (size_t i = 0; i < s->n_known; i++) {
		if (!memcmp(s->known[i], key, 16))
			return true;
	}
	return false;
}

static void learn_addr(struct link_set *s, const struct sockaddr *sa)
{
	uint8_t key[16];

	if (!ip_key(sa, key) || known_addr(s, key))
		return;
	memcpy(s->known[s->known_next], key, 16);
	s->known_next = (s->known_next + 1) % LINK_KNOWN_ADDRS;
	if (s->n_known < LINK_KNOWN_ADDRS)
		s->n_known++;
}

int link_admit(struct link_set *s, const struct sockaddr *addr, const char **why)
{
	uint8_t key[16], k2[16];
	size_t same = 0;
	bool known;

	if (!ip_key(addr, key))
		return 0;
	known = known_addr(s, key);
	if (s->n_pending_in >= LINK_PENDING_MAX ||
	    (!known && s->n_pending_in >= LINK_PENDING_MAX - LINK_PENDING_RESERVED)) {
		s->c.refused++;
		s->c.refused_full++;
		*why = known ? "every handshake slot is taken"
			     : "every handshake slot outside those kept for known nodes is taken";
		return -EBUSY;
	}
	for (struct link *l = s->list; l; l = l->next) {
		if (!l->outgoing && l->state == LINK_HANDSHAKE &&
		    ip_key((struct sockaddr *)&l->addr, k2) && !memcmp(key, k2, 16))
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

struct link *link_accept(struct link_set *s, int fd, const struct sockaddr *addr, socklen_t addrlen)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
	struct sockaddr_storage in4;
	struct link *l;

	/* a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d: they are IPv4 */
	if (addr->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		addrlen = addr_make(&in4, AF_INET, in6->sin6_addr.s6_addr + 12,
				    ntohs(in6->sin6_port), 0);
		addr = (const struct sockaddr *)&in4;
	}
	tune_socket(fd);
	l = link_new(s, fd, addr, addrlen, false, LINK_HANDSHAKE, EPOLLIN);
	if (!l) {
		close(fd);
		return NULL;
	}
	log_debug("incoming connection from %s", l->name);
	start_tls(l);
	return l;
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

/* Both ends keep the link dialled by the node with the lower MAC (PROTOCOL.md). */
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

static void link_read(struct link *l);

/* label: name the peer's certificate (MAC or CN) after its address, if it sent one */
static void refuse(struct link *l, bool label, const char *why)
{
	char who[160] = "";

	l->set->c.refused++;
	l->set->c.refused_handshake++;
	if (label)
		tls_peer_label(l->ssl, who, sizeof(who));
	if (ratelimit_ok(&refuse_rl, loop_clock_ms()))
		log_notice("peer %s%s: %s", l->name, who, why);
	link_close(l, NULL);
}

static void handshake_done(struct link *l)
{
	struct link_set *s = l->set;
	char want[MAC_STRLEN], got[MAC_STRLEN], msg[64], why[256];

	/* the reason names the CN itself */
	if (tls_peer_mac(l->ssl, l->peer_mac, why, sizeof(why)) < 0) {
		refuse(l, false, why);
		return;
	}
	if (mac_eq(l->peer_mac, s->mac)) {
		/* an address of our own: never dial it again */
		if (l->outgoing)
			EMIT(s, self, s, l->addr_id);
		link_close(l, "link to self");
		return;
	}
	if (l->expect_mac && !mac_eq(l->peer_mac, l->expected_mac)) {
		snprintf(msg, sizeof(msg), "expected %s, certificate says %s",
			 mac_format(l->expected_mac, want), mac_format(l->peer_mac, got));
		refuse(l, false, msg);
		return;
	}
	if (s->n_up - s->n_full >= s->max_links) {
		/* an incoming newcomer still gets the addresses we know, and is told
		 * why it is closed (PROTOCOL: FULL), so it dials elsewhere at once */
		if (l->outgoing || s->n_full >= LINK_MAX_FULL || find_up(s, l->peer_mac, l)) {
			link_close(l, "max_links reached");
			return;
		}
		l->full = true;
	} else if (!resolve_duplicate(l)) {
		return;
	}

	l->in = malloc(LINK_IN_CAP);
	l->out = malloc(LINK_OUT_CAP);
	if (!l->in || !l->out) {
		link_close(l, "out of memory");
		return;
	}
	if (l->outgoing)
		s->n_dialing--;
	else
		s->n_pending_in--;
	l->state = LINK_UP;
	learn_addr(s, (struct sockaddr *)&l->addr);
	s->n_up++;
	if (l->full) {
		s->n_full++;
		s->c.full_refused++;
	}
	link_set_check(s);
	l->up_ms = l->last_rx_ms = l->last_tx_ms = loop_clock_ms();
	set_name(l);
	if (l->full)
		log_notice("peer %s: at max_links (%zu): handing over addresses, then closing",
			   l->name, s->max_links);
	log_info("link up: %s, %s, %s %s", l->name, l->outgoing ? "outgoing" : "incoming",
		 SSL_get_version(l->ssl), SSL_get_cipher_name(l->ssl));
	loop_io_mod(s->loop, &l->io, EPOLLIN);
	EMIT(s, up, l);
	EMIT(s, changed, s);
	/* the peer's first frames may have come with the last handshake record */
	if (l->state == LINK_UP)
		link_read(l);
}

static const char *ssl_failure(struct link *l, int ret, char *buf, size_t len)
{
	int err = SSL_get_error(l->ssl, ret);

	if (err == SSL_ERROR_ZERO_RETURN)
		return "closed by peer";
	if (err == SSL_ERROR_SYSCALL) {
		if (ERR_peek_error())
			return tls_failure(l->ssl, buf, len);
		if (ret == 0 || errno == 0)
			return "connection closed";
		snprintf(buf, len, "%s", strerror(errno));
		return buf;
	}
	return tls_failure(l->ssl, buf, len);
}

static void do_handshake(struct link *l)
{
	int r = SSL_do_handshake(l->ssl);
	char buf[512];

	if (r == 1) {
		handshake_done(l);
		return;
	}
	switch (SSL_get_error(l->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		loop_io_mod(l->set->loop, &l->io, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		loop_io_mod(l->set->loop, &l->io, EPOLLIN | EPOLLOUT);
		return;
	default:
		/* why the peer's certificate was not accepted, or ours was not, in words */
		refuse(l, true, ssl_failure(l, r, buf, sizeof(buf)));
	}
}

static void update_events(struct link *l)
{
	uint32_t ev = (l->rx_paused ? 0 : EPOLLIN) | (l->want_write ? EPOLLOUT : 0);

	loop_io_mod(l->set->loop, &l->io, ev);
}

/* Parse every complete frame in the input buffer. */
static void parse_frames(struct link *l)
{
	size_t pos = 0;

	while (l->in_len - pos >= PROTO_LEN_SIZE) {
		size_t len = proto_get16(l->in + pos);

		if (len == 0) {
			link_protocol_error(l, "frame of length 0");
			return;
		}
		if (l->in_len - pos - PROTO_LEN_SIZE < len)
			break;
		l->c.rx_frames++;
		if (!proto_type_known(l->in[pos + PROTO_LEN_SIZE])) {
			if (++l->unknown_run >= LINK_MAX_UNKNOWN_RUN) {
				char why[160];

				snprintf(why, sizeof(why),
					 "%u frames of unknown types in a row (the last type 0x%02x, "
					 "len %zu): the stream is out of step",
					 l->unknown_run, l->in[pos + PROTO_LEN_SIZE], len);
				link_protocol_error(l, why);
				return;
			}
		} else {
			/* liveness: a frame we know (a malformed one closes the link) */
			l->unknown_run = 0;
			l->last_rx_ms = l->set->loop->now_ms;
		}
		if (!l->confirmed) {
			/*
			 * Only now is the dial a success: with TLS 1.3 the client is done
			 * before the server has checked its certificate, so a peer that
			 * refuses us would otherwise look like a working address.
			 */
			l->confirmed = true;
			dial_done(l->set, l->addr_id, true, l->peer_mac);
		}
		EMIT(l->set, frame, l, l->in + pos + PROTO_LEN_SIZE, len);
		if (l->state != LINK_UP)
			return;
		pos += PROTO_LEN_SIZE + len;
	}
	if (pos) {
		memmove(l->in, l->in + pos, l->in_len - pos);
		l->in_len -= pos;
	}
}

static void link_read(struct link *l)
{
	char buf[256];

	while (l->state == LINK_UP) {
		int n = SSL_read(l->ssl, l->in + l->in_len, (int)(LINK_IN_CAP - l->in_len));

		if (n > 0) {
			l->in_len += (size_t)n;
			l->c.rx_bytes += (size_t)n;
			parse_frames(l);
			/*
			 * What we forward filled a link: read no more until it drains,
			 * so TCP slows the sender down instead of us dropping (the
			 * relay's back-pressure; link_after_round resumes).
			 */
			if (l->set->filling && l->state == LINK_UP) {
				l->rx_paused = true;
				update_events(l);
				return;
			}
			continue;
		}
		switch (SSL_get_error(l->ssl, n)) {
		case SSL_ERROR_WANT_READ:
			return;
		case SSL_ERROR_WANT_WRITE:
			l->want_write = true;
			update_events(l);
			return;
		default:
			snprintf(l->set->reason, sizeof(l->set->reason), "read: %s",
				 ssl_failure(l, n, buf, sizeof(buf)));
			link_close(l, l->set->reason);
			return;
		}
	}
}

static void mark_dirty(struct link *l)
{
	l->batched = false; /* the flush takes everything */
	if (l->on_dirty_list)
		return;
	l->on_dirty_list = true;
	l->next_dirty = l->set->dirty;
	l->set->dirty = l;
}

static void link_flush(struct link *l)
{
	char buf[256];

	while (l->state == LINK_UP && l->out_end > l->out_start) {
		size_t chunk = l->out_end - l->out_start;
		int n;

		if (chunk > LINK_WRITE_CHUNK)
			chunk = LINK_WRITE_CHUNK;
		if (chunk < l->pending_write)
			chunk = l->pending_write;
		n = SSL_write(l->ssl, l->out + l->out_start, (int)chunk);
		if (n > 0) {
			l->out_start += (size_t)n;
			l->pending_write = 0;
			l->last_tx_progress_ms = l->set->loop->now_ms;
			continue;
		}
		switch (SSL_get_error(l->ssl, n)) {
		case SSL_ERROR_WANT_WRITE:
		case SSL_ERROR_WANT_READ:
			/* OpenSSL must be called again with at least these bytes */
			l->pending_write = chunk;
			l->want_write = true;
			update_events(l);
			return;
		default:
			snprintf(l->set->reason, sizeof(l->set->reason), "write: %s",
				 ssl_failure(l, n, buf, sizeof(buf)));
			link_close(l, l->set->reason);
			return;
		}
	}
	if (l->state != LINK_UP)
		return;
	l->out_start = l->out_end = 0;
	l->last_tx_progress_ms = l->set->loop->now_ms;
	if (l->want_write) {
		l->want_write = false;
		update_events(l);
	}
}

static void link_io(struct loop_io *io, uint32_t events)
{
	struct link *l = container_of(io, struct link, io);

	switch (l->state) {
	case LINK_CONNECTING: {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			log_info("dial %s: %s", l->name, strerror(err));
			link_close(l, NULL);
			return;
		}
		start_tls(l);
		return;
	}
	case LINK_HANDSHAKE:
		do_handshake(l);
		return;
	case LINK_UP:
		if (events & EPOLLOUT) {
			/* a blocked write, or a read that needed to write */
			l->want_write = false;
			update_events(l);
			link_flush(l);
		}
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			link_read(l);
		return;
	case LINK_CLOSED:
		return;
	}
}

/* Read again from a link paused by back-pressure. */
static void link_resume(struct link *l)
{
	if (!l->rx_paused || l->state != LINK_UP)
		return;
	l->rx_paused = false;
	update_events(l);
	/* decrypted data may wait inside TLS with nothing left on the socket to wake us */
	link_read(l);
}

/* Room for n more bytes of output, or NULL if the frame must be dropped (counted). */
static uint8_t *link_reserve(struct link *l, size_t n, bool control)
{
	size_t cap = control ? LINK_OUT_CAP : LINK_OUT_DATA_CAP;

	if (l->state != LINK_UP)
		return NULL;
	if (link_queued(l) + n > cap) {
		l->c.drops++;
		l->set->c.queue_full++;
		return NULL;
	}
	if (!control && link_queued(l) + n > LINK_OUT_DATA_CAP / 2)
		l->set->filling = true;
	if (l->out_end + n > LINK_OUT_CAP) {
		/* allowed by SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: the bytes stay the same */
		memmove(l->out, l->out + l->out_start, link_queued(l));
		l->out_end -= l->out_start;
		l->out_start = 0;
	}
	return l->out + l->out_end;
}

/* Queue the n bytes written into the space link_reserve returned. */
static void frame_queued(struct link *l, size_t n)
{
	l->out_end += n;
	l->last_tx_ms = l->set->loop->now_ms;
	l->c.tx_frames++;
	l->c.tx_bytes += n;
}

static void link_commit(struct link *l, size_t n)
{
	frame_queued(l, n);
	mark_dirty(l);
}

bool link_send(struct link *l, const void *frame, size_t n, bool control)
{
	uint8_t *p = link_reserve(l, n, control);

	if (!p)
		return false;
	memcpy(p, frame, n);
	link_commit(l, n);
	return true;
}

static void on_batch(struct loop_timer *t)
{
	struct link_set *s = container_of(t, struct link_set, batch);

	/* the round that ran this timer flushes them (link_after_round) */
	for (struct link *l = s->list; l; l = l->next) {
		if (l->batched)
			mark_dirty(l);
	}
}

bool link_send_round(struct link *l, const void *frame, size_t n)
{
	struct link_set *s = l->set;
	uint8_t *p = link_reserve(l, n, true);

	if (!p)
		return false;
	memcpy(p, frame, n);
	frame_queued(l, n);
	if (!l->on_dirty_list)
		l->batched = true;
	if (!s->batch.armed)
		loop_timer_arm(s->loop, &s->batch, LINK_ROUND_BATCH_MS, on_batch);
	return true;
}

void link_close(struct link *l, const char *reason)
{
	struct link_set *s = l->set;
	enum link_state was = l->state;

	if (was == LINK_CLOSED)
		return;
	l->state = LINK_CLOSED;
	loop_io_del(s->loop, &l->io);
	/* best effort, never waits: tell the peer this is a close, not a crash */
	if (was == LINK_UP && l->ssl)
		SSL_shutdown(l->ssl);
	ERR_clear_error();
	close(l->io.fd);
	l->io.fd = -1;
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
	link_set_check(s);
	if (was == LINK_UP) {
		log_info("link down: %s: %s", l->name, reason ? reason : "closed");
		if (l->outgoing && !l->confirmed)
			dial_done(s, l->addr_id, false, NULL);
		EMIT(s, down, l);
	} else {
		if (reason)
			log_debug("connection %s closed: %s", l->name, reason);
		if (l->outgoing)
			dial_done(s, l->addr_id, false, NULL);
	}
	/* a closed link may leave room under min_links */
	EMIT(s, changed, s);
}

void link_protocol_error(struct link *l, const char *why)
{
	if (l->state == LINK_CLOSED)
		return;
	l->set->c.bad_frames++;
	snprintf(l->set->reason, sizeof(l->set->reason), "protocol error: %s", why);
	link_close(l, l->set->reason);
}

static void link_free(struct link *l)
{
	SSL_free(l->ssl);
	free(l->in);
	free(l->out);
	free(l);
}

/* Is a link that is still moving data more than half full? */
static bool links_busy(const struct link_set *s)
{
	for (const struct link *l = s->list; l; l = l->next) {
		if (l->state == LINK_UP && link_queued(l) > LINK_OUT_DATA_CAP / 2 &&
		    s->loop->now_ms - l->last_tx_progress_ms < LINK_STALL_MS)
			return true;
	}
	return false;
}

static void flush_and_reap(struct link_set *s)
{
	/* flushing can close links, which can queue announcements on others */
	while (s->dirty) {
		struct link *l = s->dirty;

		s->dirty = l->next_dirty;
		l->on_dirty_list = false;
		link_flush(l);
	}
	while (s->dead) {
		struct link *l = s->dead;

		s->dead = l->next_dead;
		link_free(l);
	}
}

static void hold(struct link_set *s, bool on)
{
	if (s->held == on)
		return;
	s->held = on;
	EMIT(s, hold, s, on);
}

static void on_recheck(struct loop_timer *t)
{
	/* nothing to do here: the round this timer ends runs link_after_round */
}

void link_after_round(struct link_set *s)
{
	/* resuming reads forwards more frames: a few passes at most, then the next round */
	for (int pass = 0; pass < 4; pass++) {
		bool resumed = false;

		flush_and_reap(s);
		s->filling = false;
		if (links_busy(s)) {
			hold(s, true);
			/* a link that stops moving must not hold the others for long */
			if (!s->recheck.armed)
				loop_timer_arm(s->loop, &s->recheck, LINK_STALL_MS, on_recheck);
			return;
		}
		loop_timer_cancel(s->loop, &s->recheck);
		hold(s, false);
		for (struct link *l = s->list, *next; l; l = next) {
			next = l->next;
			if (l->rx_paused) {
				link_resume(l);
				resumed = true;
			}
		}
		if (!resumed)
			break;
	}
	/* write out what the last resumed reads queued (and free what they closed) */
	flush_and_reap(s);
}

void link_check_timeouts(struct link_set *s, uint64_t now_ms)
{
	for (struct link *l = s->list, *next; l; l = next) {
		next = l->next;
		if (!l->outgoing && l->state == LINK_HANDSHAKE && l->ssl &&
		    now_ms - l->created_ms >= LINK_SILENT_MS &&
		    BIO_number_read(SSL_get_rbio(l->ssl)) == 0) {
			/* not even a ClientHello: a held slot, not a slow peer */
			s->c.refused++;
			s->c.closed_silent++;
			log_debug("connection %s: no TLS byte within %d s", l->name,
				  LINK_SILENT_MS / 1000);
			link_close(l, "no TLS byte within 2 s");
		} else if (l->state != LINK_UP &&
			   now_ms - l->created_ms >= LINK_HANDSHAKE_TIMEOUT_MS) {
			s->c.refused++;
			s->c.refused_timeout++;
			log_debug("connection %s: no TLS handshake within %d s", l->name,
				  LINK_HANDSHAKE_TIMEOUT_MS / 1000);
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
	flush_and_reap(s);
	loop_timer_cancel(s->loop, &s->recheck);
	loop_timer_cancel(s->loop, &s->batch);
}
