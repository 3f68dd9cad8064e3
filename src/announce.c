#include "announce.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "link.h"
#include "log.h"
#include "proto.h"
#include "route.h"
#include "switch.h"

static struct ratelimit sig_rl;

static struct announce *A(struct invpnd *d)
{
	return d->sig;
}

/* Signing is on, and set up (daemon_start may fail before announce_init). */
static bool on(const struct invpnd *d)
{
	return d->cfg->sign && d->sig;
}

bool announce_takes_signed(const struct invpnd *d, const struct link *l)
{
	return on(d) && (l->peer_caps & PROTO_CAPS_SIGN);
}

uint32_t announce_caps(const struct invpnd *d)
{
	return on(d) ? PROTO_CAPS_SIGN : 0;
}

/* The certificate cache file: beside the peer cache, "PEERCACHE.certs". */
static char *certs_path(const struct config *c)
{
	size_t n;
	char *p;

	if (!c->cache || !*c->cache)
		return NULL;
	n = strlen(c->cache) + sizeof(".certs");
	p = malloc(n);
	if (p)
		snprintf(p, n, "%s.certs", c->cache);
	return p;
}

static int check_cached(X509 *cert, uint8_t mac[MAC_LEN], void *arg)
{
	struct invpnd *d = arg;
	char why[256];

	/* its CN is the MAC; tls_verify_cert checks the chain, CRL and policy too */
	if (tls_cert_mac(cert, mac, why, sizeof(why)) < 0 ||
	    tls_verify_cert(&d->tls, cert, mac, why, sizeof(why)) < 0) {
		log_info("certificate cache: an entry is no longer accepted: %s", why);
		return -EINVAL;
	}
	return 0;
}

int announce_init(struct invpnd *d)
{
	struct announce *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	d->sig = a;
	certstore_init(&a->certs, ANNOUNCE_CERTS);
	if (!on(d))
		return 0;
	a->path = certs_path(d->cfg);
	if (!a->path)
		return 0;
	r = certstore_load(&a->certs, a->path, check_cached, d, d->loop.now_ms);
	if (r >= 0)
		log_info("%s: %d certificate(s) of nodes seen signed", a->path, r);
	else if (r != -ENOENT)
		log_warn("%s: cannot read the certificate cache: %s", a->path, strerror(-r));
	return 0;
}

void announce_fini(struct invpnd *d)
{
	struct announce *a = A(d);

	if (!a)
		return;
	for (size_t i = 0; i < ANNOUNCE_PENDING; i++)
		free(a->pending[i].frame);
	certstore_fini(&a->certs);
	free(a->path);
	free(a);
	d->sig = NULL;
}

void announce_save(struct invpnd *d, bool force)
{
	struct announce *a = A(d);
	int r;

	if (!a || !a->path || (!a->dirty && !force))
		return;
	r = certstore_save(&a->certs, a->path);
	if (r < 0)
		log_warn("%s: cannot write the certificate cache: %s", a->path, strerror(-r));
	else
		a->dirty = false;
}

struct recheck {
	struct invpnd *d;
	struct cert_entry *gone[64];
	size_t n;
};

static void recheck_one(struct cert_entry *e, void *arg)
{
	struct recheck *rc = arg;
	char why[256], m[MAC_STRLEN];

	if (rc->n < 64 && tls_verify_cert(&rc->d->tls, e->cert, e->mac, why, sizeof(why)) < 0) {
		log_notice("certificate of %s no longer accepted (%s): forgotten",
			   mac_format(e->mac, m), why);
		rc->gone[rc->n++] = e;
	}
}

void announce_reload(struct invpnd *d)
{
	struct recheck rc = {d, {NULL}, 0};

	if (!A(d))
		return;
	/* in rounds of 64: the store may not change while it is walked */
	do {
		rc.n = 0;
		certstore_foreach(&A(d)->certs, recheck_one, &rc);
		for (size_t i = 0; i < rc.n; i++)
			certstore_remove(&A(d)->certs, rc.gone[i]);
		if (rc.n)
			A(d)->dirty = true;
	} while (rc.n == 64);
}

static struct link *link_by_id(struct invpnd *d, uint64_t id)
{
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l->id == id && l->state == LINK_UP && !l->full)
			return l;
	}
	return NULL;
}

/* The per-link work budget (verifications and certificates sent): false if spent. */
static bool link_work(struct invpnd *d, struct link *l)
{
	uint64_t now = d->loop.now_ms;

	if (now - l->sig_window_ms >= 1000) {
		l->sig_window_ms = now;
		l->sig_work = 0;
	}
	return l->sig_work++ < ANNOUNCE_LINK_WORK;
}

void announce_link_up(struct invpnd *d, struct link *l)
{
	X509 *cert;

	if (!on(d))
		return;
	l->sig_intro = true;
	/* a direct peer's certificate came with the handshake (verified there) */
	cert = SSL_get0_peer_certificate(l->ssl);
	if (cert)
		certstore_put(&A(d)->certs, l->peer_mac, cert, true, d->loop.now_ms);
}

void announce_link_down(struct invpnd *d, struct link *l)
{
	struct announce *a = A(d);

	if (!on(d))
		return;
	certstore_unpin(&a->certs, l->peer_mac);
	for (size_t i = 0; i < ANNOUNCE_PENDING; i++) {
		struct announce_pending *p = &a->pending[i];

		if (p->link_id == l->id) {
			free(p->frame);
			memset(p, 0, sizeof(*p));
		}
	}
}

/* The new link's replay, once we know what it takes. */
static void intro(struct invpnd *d, struct link *l)
{
	l->sig_intro = false;
	if (!d->cfg->no_relay)
		switch_replay(d, l);
}

static void refuse(struct link *l, const char *why)
{
	char reason[200];

	snprintf(reason, sizeof(reason), "%s: refused (require_signed = yes)", why);
	link_close(l, reason);
}

bool announce_gate(struct invpnd *d, struct link *l, uint8_t type)
{
	if (!d->cfg->sign || !l->sig_intro || type == PROTO_CAPS)
		return true;
	/* CAPS comes first from every invpn node: this peer sent none */
	if (d->cfg->require_signed) {
		refuse(l, "peer sent no CAPS (an original InVPN node?), so it does not sign its "
			  "announcements");
		return false;
	}
	intro(d, l);
	return true;
}

/* Tell a new SIGN peer how we see it, so that it can sign that address. */
static void send_observed(struct invpnd *d, struct link *l)
{
	struct proto_info info;
	struct sigproto_addr o;
	uint8_t wire[SIGPROTO_OBSERVED_MAX];
	int n;

	switch_observed_info(l, &info);
	if (info.iptype == PROTO_IP_NONE)
		return;
	o.iptype = info.iptype;
	memcpy(o.ip, info.ip, sizeof(o.ip));
	n = sigproto_encode_observed(wire, sizeof(wire), &o);
	if (n > 0)
		link_send(l, wire, (size_t)n, true);
}

void announce_on_caps(struct invpnd *d, struct link *l)
{
	if (!on(d))
		return;
	if (d->cfg->require_signed && !(l->peer_caps & PROTO_CAPS_SIGN)) {
		refuse(l, "peer does not sign its announcements (no SIGN in its CAPS: sign = no "
			  "there, or an older invpn)");
		return;
	}
	if (l->peer_caps & PROTO_CAPS_SIGN) {
		send_observed(d, l);
		/* it got this round's ANNOUNCE, which it ignores: the signed form, same id */
		if (A(d)->own_len)
			link_send(l, A(d)->own, A(d)->own_len, true);
	}
	if (l->sig_intro)
		intro(d, l);
}

bool announce_unsigned_ok(struct invpnd *d, const uint8_t mac[MAC_LEN])
{
	const struct cert_entry *e;
	const struct route *r;
	char m[MAC_STRLEN];

	if (!on(d))
		return true;
	e = certstore_find(&A(d)->certs, mac);
	r = route_find(&d->routes, mac);
	if (!d->cfg->require_signed && !(e && e->signed_seen) && !(r && r->sig))
		return true;
	A(d)->c.unsigned_refused++;
	log_ratelimited(&sig_rl, d->loop.now_ms, LOG_INFO, "unsigned INFO about %s dropped: %s",
			mac_format(mac, m),
			d->cfg->require_signed ? "require_signed = yes"
					       : "it was seen signed (a MAC once seen signed is "
						 "never learned unsigned)");
	return false;
}

static bool same_addr(const struct sigproto_addr *a, uint8_t iptype, const uint8_t *ip)
{
	return a->iptype == iptype && memcmp(a->ip, ip, iptype == PROTO_IP_V4 ? 4 : 16) == 0;
}

/* Our addresses as our peers see them: the ones most peers agree on first, at most 4. */
static size_t own_addrs(struct invpnd *d, struct sigproto_addr *out)
{
	struct sigproto_addr cand[16];
	unsigned votes[16];
	size_t n = 0, k = 0;

	for (struct link *l = d->links.list; l; l = l->next) {
		size_t i;

		if (l->state != LINK_UP || !l->sig_observed)
			continue;
		for (i = 0; i < n && !same_addr(&cand[i], l->sig_obs_iptype, l->sig_obs_ip); i++)
			;
		if (i < n) {
			votes[i]++;
		} else if (n < 16) {
			cand[n].iptype = l->sig_obs_iptype;
			memcpy(cand[n].ip, l->sig_obs_ip, 16);
			votes[n++] = 1;
		}
	}
	/* a selection by votes: n is at most 16 */
	while (k < SIGPROTO_MAX_ADDRS && n) {
		size_t best = 0;

		for (size_t i = 1; i < n; i++) {
			if (votes[i] > votes[best])
				best = i;
		}
		out[k++] = cand[best];
		cand[best] = cand[n - 1];
		votes[best] = votes[n - 1];
		n--;
	}
	return k;
}

void announce_round(struct invpnd *d, int64_t id)
{
	struct announce *a = A(d);
	/* port 0: takes no incoming links, nobody should dial it (no_incoming, no_relay) */
	struct sigproto_sinfo s = {.id = id,
				   .port = d->cfg->no_incoming || d->cfg->no_relay ? 0
										   : d->cfg->port};
	EVP_PKEY *key;
	uint8_t sig[SIGPROTO_MAX_SIG];
	const uint8_t *tbs;
	size_t tbslen, siglen;
	int off, n;

	if (!on(d))
		return;
	/* peers that never sent CAPS: originals, whose replay is due */
	for (struct link *l = d->links.list, *next; l; l = next) {
		/* up_ms is read fresh, the loop's now_ms at the start of the round */
		uint64_t now = loop_clock_ms();

		next = l->next; /* the gate may close l */
		if (l->state == LINK_UP && l->sig_intro && now > l->up_ms &&
		    now - l->up_ms >= ANNOUNCE_INTRO_MS)
			announce_gate(d, l, PROTO_ANNOUNCE);
	}
	key = SSL_CTX_get0_privatekey(d->tls.ctx);
	memcpy(s.mac, d->mac, MAC_LEN);
	s.caps = PROTO_CAPS_MESH | PROTO_CAPS_SIGN | PROTO_CAPS_WITHDRAW | PROTO_CAPS_PACE |
		 (d->tap.vnet ? PROTO_CAPS_GSO : 0);
	/* a node nobody should dial announces no address (as its unsigned INFO) */
	if (s.port)
		s.naddr = own_addrs(d, s.addr);
	off = sigproto_encode_sinfo_start(a->own, sizeof(a->own), &s);
	if (off < 0 || !key)
		return;
	tbs = sigproto_sinfo_tbs(a->own, (size_t)off, &tbslen);
	if (certstore_sign(key, (const uint8_t *)SIGPROTO_CONTEXT, SIGPROTO_CONTEXT_LEN, tbs,
			   tbslen, sig, sizeof(sig), &siglen) < 0) {
		log_ratelimited(&sig_rl, d->loop.now_ms, LOG_WARNING,
				"cannot sign our announcement: signed peers will not learn us");
		a->own_len = 0;
		return;
	}
	n = sigproto_sinfo_finish(a->own, sizeof(a->own), (size_t)off, sig, siglen);
	a->own_len = n > 0 ? (size_t)n : 0;
	for (struct link *l = d->links.list; l && a->own_len; l = l->next) {
		if (l->state == LINK_UP && !l->full && !l->drain_ms && announce_takes_signed(d, l))
			link_send_round(l, a->own, a->own_len);
	}
}

bool announce_keepalive(struct invpnd *d, struct link *to)
{
	struct announce *a = A(d);

	return on(d) && a->own_len && link_send_round(to, a->own, a->own_len);
}

bool announce_replay(struct invpnd *d, const struct route *r, struct link *to)
{
	const struct cert_entry *e;

	if (!r->sig || !announce_takes_signed(d, to))
		return false;
	e = certstore_find(&A(d)->certs, r->mac);
	/* the signed frame that set this route; without it, the unsigned form */
	if (!e || !e->frame || e->frame_id != r->info.top)
		return false;
	link_send(to, e->frame, e->frame_len, true);
	return true;
}

/* Ask the link that named an origin for its certificate; keep the frame for when it comes. */
static void ask_cert(struct invpnd *d, struct link *from, const uint8_t *mac, const uint8_t *wire,
		     size_t n, int64_t id)
{
	struct announce *a = A(d);
	struct announce_pending *p = NULL, *free_slot = NULL;
	uint64_t now = d->loop.now_ms;
	uint8_t req[PROTO_HDR_SIZE + SIGPROTO_CERT_REQ_BODY];
	struct sigproto_sinfo old;

	for (size_t i = 0; i < ANNOUNCE_PENDING; i++) {
		struct announce_pending *q = &a->pending[i];

		if (q->link_id && mac_eq(q->mac, mac))
			p = q;
		else if (!free_slot && (!q->link_id || now - q->asked_ms >= ANNOUNCE_ASK_MS))
			free_slot = q;
	}
	if (p && now - p->asked_ms < ANNOUNCE_ASK_MS) {
		/*
		 * A copy of the same frame from another link: that link is on a
		 * path from the origin too (the reverse-path rule's upstream),
		 * noted once the certificate has come.
		 */
		if (p->link_id != from->id && p->frame && p->len == n &&
		    !memcmp(p->frame, wire, n)) {
			for (size_t i = 0; i < ANNOUNCE_PENDING_ALSO; i++) {
				if (p->also[i] == from->id)
					break;
				if (!p->also[i]) {
					p->also[i] = from->id;
					break;
				}
			}
			return;
		}
		/* asked already: keep the newest frame only if it came the same way */
		if (p->link_id == from->id && p->frame &&
		    sigproto_decode_sinfo(p->frame + PROTO_HDR_SIZE, p->len - PROTO_HDR_SIZE,
					  &old) == 0 &&
		    id > old.id) {
			uint8_t *f = malloc(n);

			if (f) {
				memcpy(f, wire, n);
				free(p->frame);
				p->frame = f;
				p->len = n;
			}
		}
		return;
	}
	if (!p)
		p = free_slot;
	if (!p)
		return; /* ANNOUNCE_PENDING origins asked for already: its next round */
	if (now - a->req_window_ms >= 1000) {
		a->req_window_ms = now;
		a->req_count = 0;
	}
	if (a->req_count >= ANNOUNCE_REQ_PER_S)
		return;
	a->req_count++;
	free(p->frame);
	memset(p, 0, sizeof(*p));
	memcpy(p->mac, mac, MAC_LEN);
	p->link_id = from->id;
	p->asked_ms = now;
	p->frame = malloc(n);
	if (p->frame) {
		memcpy(p->frame, wire, n);
		p->len = n;
	}
	if (sigproto_encode_cert_req(req, sizeof(req), mac) > 0) {
		link_send(from, req, sizeof(req), true);
		a->c.cert_req_sent++;
	}
}

/* A verified SIGNED_INFO, as the unsigned INFO for peers that do not take it. */
static void unsigned_form(const struct link *from, const struct sigproto_sinfo *s,
			  struct proto_info *info)
{
	memset(info, 0, sizeof(*info));
	/* from its direct neighbour: the address that neighbour sees (as ANNOUNCE→INFO) */
	if (mac_eq(from->peer_mac, s->mac))
		switch_observed_info(from, info);
	else if (s->naddr) {
		info->iptype = s->addr[0].iptype;
		memcpy(info->ip, s->addr[0].ip, sizeof(info->ip));
	}
	info->id = s->id;
	memcpy(info->mac, s->mac, MAC_LEN);
	info->port = s->port;
}

static void accept_sinfo(struct invpnd *d, struct link *from, const struct sigproto_sinfo *s,
			 const struct proto_info *info, const uint8_t *wire, size_t n)
{
	struct route *r = route_find(&d->routes, s->mac);
	uint8_t uwire[PROTO_INFO_MAX];
	int un;

	uint16_t degree = 0;
	int64_t degree_id = 0;

	/* a signed announcement always wins over an unsigned one, whatever its id;
	 * what DEGREE said stays (it comes seldom: autoconnect weighs by it) */
	if (r && !r->sig) {
		degree = r->degree;
		degree_id = r->degree_id;
		route_remove(&d->routes, r);
	}
	r = route_learn(&d->routes, s->mac, s->id, from, d->loop.now_ms);
	if (!r) {
		d->counters.drop_duplicate++;
		return;
	}
	if (degree_id > r->degree_id) {
		r->degree = degree;
		r->degree_id = degree_id;
	}
	r->sig = true;
	switch_route_taken(r, from);
	switch_note_caps(d, s->caps);
	un = proto_encode_info(uwire, sizeof(uwire), info);
	if (un > 0 && (size_t)un <= sizeof(r->info_frame)) {
		memcpy(r->info_frame, uwire, (size_t)un);
		r->info_len = (uint8_t)un;
	}
	/* the addresses it signed; and, from a direct neighbour, where we see it */
	for (size_t i = 0; i < s->naddr; i++) {
		struct proto_info ai = *info;

		ai.iptype = s->addr[i].iptype;
		memcpy(ai.ip, s->addr[i].ip, sizeof(ai.ip));
		switch_learn_address(d, &ai);
	}
	if (mac_eq(from->peer_mac, s->mac)) {
		switch_learn_address(d, info);
		switch_note_inbound(d, from, info);
	}
	daemon_join_round(d);
	if (d->cfg->no_relay)
		return;
	for (struct link *l = d->links.list; l; l = l->next) {
		if (l == from || l->state != LINK_UP || l->full || l->drain_ms || l->sig_intro)
			continue;
		if (announce_takes_signed(d, l))
			link_send_round(l, wire, n);
		else if (un > 0)
			link_send_round(l, uwire, (size_t)un);
	}
}

static bool same_frame(const struct cert_entry *e, int64_t id, const uint8_t *wire, size_t n)
{
	return e && e->frame && e->frame_id == id && e->frame_len == n &&
	       !memcmp(e->frame, wire, n);
}

void announce_on_sinfo(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct announce *a = A(d);
	const uint8_t *wire = body - PROTO_HDR_SIZE;
	size_t n = len + PROTO_HDR_SIZE;
	struct sigproto_sinfo s;
	struct proto_info info;
	struct cert_entry *e;
	struct route *r;
	char m[MAC_STRLEN];
	int rc;

	if (!on(d))
		return; /* not asked for: we said no SIGN in CAPS */
	rc = sigproto_decode_sinfo(body, len, &s);
	if (rc == -EPROTONOSUPPORT)
		return;
	if (rc < 0) {
		link_protocol_error(from, "malformed SIGNED INFO frame (type 0x08): bad length "
					  "or counts");
		return;
	}
	if (mac_eq(s.mac, d->mac) || !mac_is_node(s.mac))
		return;
	unsigned_form(from, &s, &info);
	r = route_find(&d->routes, s.mac);
	e = certstore_find(&a->certs, s.mac);
	/* not newer than what we hold: no crypto at all (each (origin, id) is verified once) */
	if (r && r->sig && r->info.used && s.id <= r->info.top) {
		/* a byte-identical copy of the newest: its link is on a path from the origin */
		if (s.id == r->info.top && same_frame(e, s.id, wire, n))
			switch_info_allowed(d, from, &info);
		d->counters.drop_duplicate++;
		return;
	}
	if (switch_tomb_blocks(d, s.mac, s.id))
		return;
	if (!e) {
		a->c.sig_no_cert++;
		ask_cert(d, from, s.mac, wire, n, s.id);
		return;
	}
	/* the rules for every INFO (clock skew, direct routes, room, new origins) */
	if (!switch_info_allowed(d, from, &info))
		return;
	/* a draining link: the copies on other links move the route (switch.c) */
	if (from->drain_ms)
		return;
	if (same_frame(e, s.id, wire, n)) {
		a->c.sig_cached++; /* verified before (its route went with a link since) */
	} else {
		if (!link_work(d, from)) {
			a->c.sig_over_budget++;
			return;
		}
		if (!certstore_verify(e->pub, (const uint8_t *)SIGPROTO_CONTEXT,
				      SIGPROTO_CONTEXT_LEN, s.signed_part, s.signed_len, s.sig,
				      s.siglen)) {
			a->c.sig_bad++;
			log_ratelimited(&sig_rl, d->loop.now_ms, LOG_NOTICE,
					"link %s: SIGNED INFO for %s does not verify against its "
					"certificate: dropped",
					from->name, mac_format(s.mac, m));
			/*
			 * It may have a new certificate (renewed): ask, now and then,
			 * unless a link of ours shows us its current one.
			 */
			if (!e->pins &&
			    (!e->reask_ms || d->loop.now_ms - e->reask_ms >= ANNOUNCE_REASK_MS)) {
				e->reask_ms = d->loop.now_ms;
				ask_cert(d, from, s.mac, wire, n, s.id);
			}
			return;
		}
		a->c.sig_ok++;
		certstore_keep_frame(e, wire, n, s.id);
	}
	if (!e->signed_seen)
		a->dirty = true;
	e->signed_seen = true;
	e->used_ms = d->loop.now_ms;
	accept_sinfo(d, from, &s, &info, wire, n);
}

void announce_on_cert_req(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	uint8_t origin[MAC_LEN], wire[SIGPROTO_CERT_MAX], der[SIGPROTO_MAX_DER], *p = der;
	const struct cert_entry *e;
	X509 *cert;
	int dl, n, rc;

	if (!on(d))
		return;
	rc = sigproto_decode_cert_req(body, len, origin);
	if (rc == -EBADMSG)
		link_protocol_error(from, "malformed CERT REQUEST frame (type 0x09)");
	if (rc < 0 || !link_work(d, from))
		return;
	if (mac_eq(origin, d->mac)) {
		cert = SSL_CTX_get0_certificate(d->tls.ctx);
	} else {
		e = certstore_find(&A(d)->certs, origin);
		cert = e ? e->cert : NULL;
	}
	if (!cert)
		return; /* we cannot help: it asks again elsewhere, later */
	dl = i2d_X509(cert, NULL);
	if (dl <= 0 || dl > SIGPROTO_MAX_DER)
		return;
	i2d_X509(cert, &p);
	n = sigproto_encode_cert(wire, sizeof(wire), origin, der, (size_t)dl);
	if (n > 0) {
		link_send(from, wire, (size_t)n, true);
		A(d)->c.cert_sent++;
	}
}

void announce_on_cert(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct announce *a = A(d);
	struct announce_pending *p = NULL;
	uint64_t also[ANNOUNCE_PENDING_ALSO];
	struct cert_entry *e;
	struct sigproto_cert c;
	const unsigned char *q;
	char why[256], m[MAC_STRLEN];
	struct link *via;
	uint8_t *frame;
	size_t flen;
	X509 *cert;
	int rc;

	if (!on(d))
		return;
	rc = sigproto_decode_cert(body, len, &c);
	if (rc == -EBADMSG)
		link_protocol_error(from, "malformed CERT frame (type 0x0a): bad length");
	if (rc < 0)
		return;
	for (size_t i = 0; i < ANNOUNCE_PENDING && !p; i++) {
		if (a->pending[i].link_id && mac_eq(a->pending[i].mac, c.origin))
			p = &a->pending[i];
	}
	if (!p) {
		a->c.cert_unasked++;
		return; /* nobody asked: no work */
	}
	q = c.der;
	cert = d2i_X509(NULL, &q, (long)c.derlen);
	if (!cert || q != c.der + c.derlen) {
		snprintf(why, sizeof(why), "not one DER certificate");
		rc = -EINVAL;
	} else {
		rc = tls_verify_cert(&d->tls, cert, c.origin, why, sizeof(why));
	}
	if (rc < 0) {
		a->c.cert_bad++;
		log_ratelimited(&sig_rl, d->loop.now_ms, LOG_NOTICE,
				"link %s: certificate for %s refused: %s", from->name,
				mac_format(c.origin, m), why);
		X509_free(cert);
		return; /* the request stays: it times out and is asked again */
	}
	/* the certificate we had already: the frame that made us ask stays refused */
	e = certstore_find(&a->certs, c.origin);
	if (e && X509_cmp(e->cert, cert) == 0) {
		X509_free(cert);
		free(p->frame);
		memset(p, 0, sizeof(*p));
		return;
	}
	if (!certstore_put(&a->certs, c.origin, cert, false, d->loop.now_ms)) {
		X509_free(cert);
		return;
	}
	X509_free(cert);
	a->c.cert_ok++;
	/* the frame that named it, from the link it came on if that is still up */
	frame = p->frame;
	flen = p->len;
	via = link_by_id(d, p->link_id);
	memcpy(also, p->also, sizeof(also));
	memset(p, 0, sizeof(*p));
	if (frame && via) {
		announce_on_sinfo(d, via, frame + PROTO_HDR_SIZE, flen - PROTO_HDR_SIZE);
		/* the copies from other links: duplicates now, which note their links */
		for (size_t i = 0; i < ANNOUNCE_PENDING_ALSO && also[i]; i++) {
			struct link *l = link_by_id(d, also[i]);

			if (l)
				announce_on_sinfo(d, l, frame + PROTO_HDR_SIZE,
						  flen - PROTO_HDR_SIZE);
		}
	}
	free(frame);
}

/* An address nobody should be told to dial us at. */
static bool useless_addr(const struct sigproto_addr *o)
{
	const uint8_t *v4 = o->ip;

	if (o->iptype == PROTO_IP_V6) {
		const struct in6_addr *a6 = (const struct in6_addr *)o->ip;

		if (!IN6_IS_ADDR_V4MAPPED(a6))
			return IN6_IS_ADDR_UNSPECIFIED(a6) || IN6_IS_ADDR_LOOPBACK(a6) ||
			       IN6_IS_ADDR_MULTICAST(a6) || IN6_IS_ADDR_LINKLOCAL(a6);
		v4 = o->ip + 12;
	}
	return v4[0] == 0 || v4[0] == 127 || v4[0] >= 224;
}

void announce_on_observed(struct invpnd *d, struct link *from, const uint8_t *body, size_t len)
{
	struct sigproto_addr o, have[SIGPROTO_MAX_ADDRS];
	size_t n;
	bool known = false;
	int rc;

	if (!on(d))
		return;
	rc = sigproto_decode_observed(body, len, &o);
	if (rc == -EBADMSG)
		link_protocol_error(from, "malformed OBSERVED frame (type 0x0b): bad length");
	/* one per link: a peer cannot make us sign again and again, nor fill our list */
	if (rc < 0 || from->sig_observed || useless_addr(&o))
		return;
	n = own_addrs(d, have);
	for (size_t i = 0; i < n; i++)
		known |= same_addr(&have[i], o.iptype, o.ip);
	from->sig_observed = true;
	from->sig_obs_iptype = o.iptype;
	memcpy(from->sig_obs_ip, o.ip, sizeof(from->sig_obs_ip));
	/* a new address of ours: announce it now rather than at the next round */
	if (!known && n < SIGPROTO_MAX_ADDRS)
		switch_announce(d);
}
