#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "ctl_proto.h"
#include "daemon.h"
#include "health.h"
#include "tls.h"
#include "link.h"
#include "log.h"
#include "pace.h"
#include "mdns.h"
#include "metrics.h"
#include "resolve.h"
#include "util.h"
#include "addr.h"

struct client {
	struct control *ctl;
	struct loop_io io;
	char in[CTL_MAX_REQUEST];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	uint64_t last_ms; /* last request or progress */
	bool closed;
	/* its credentials were refused: its first request is answered with why */
	const char *refused;
	char refused_why[160];
	/* a health round in progress */
	bool waiting;
	struct ctl_request req;
	struct health_round round;
	struct client *next, *prev, *next_dead;
};

struct control {
	struct invpnd *d;
	struct loop_io io;
	char *path;
	struct client *clients, *dead;
	size_t n_clients;
	gid_t gid; /* the socket file's group: its members may use the socket */
};

static struct ratelimit ctl_rl, refuse_rl;

static void client_io(struct loop_io *io, uint32_t events);

static void client_close(struct client *c)
{
	struct control *ctl = c->ctl;

	if (c->closed)
		return;
	c->closed = true;
	loop_io_del(&ctl->d->loop, &c->io);
	close(c->io.fd);
	health_round_end(&c->round);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->n_clients--;
	c->next_dead = ctl->dead;
	ctl->dead = c;
}

static void client_free(struct client *c)
{
	health_round_end(&c->round);
	free(c->out);
	free(c);
}

void control_after_round(struct invpnd *d)
{
	struct control *ctl = d->control;

	while (ctl && ctl->dead) {
		struct client *c = ctl->dead;

		ctl->dead = c->next_dead;
		client_free(c);
	}
}

static void client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			client_close(c);
			return;
		}
		c->out_off += (size_t)n;
		c->last_ms = loop_clock_ms();
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		loop_io_mod(&c->ctl->d->loop, &c->io, EPOLLIN);
	} else {
		loop_io_mod(&c->ctl->d->loop, &c->io, EPOLLOUT);
	}
}

/* Queue one JSON reply line and take ownership of obj. */
static void client_reply(struct client *c, struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);

	if (c->out_len + len + 1 > CONTROL_MAX_OUTPUT) {
		json_object_put(obj);
		obj = json_object_new_object();
		json_object_object_add(obj, "ok", json_object_new_boolean(0));
		json_object_object_add(obj, "error", json_object_new_string("reply too large"));
		s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
		len = strlen(s);
		if (c->out_len + len + 1 > CONTROL_MAX_OUTPUT) {
			json_object_put(obj);
			client_close(c);
			return;
		}
	}
	char *out = realloc(c->out, c->out_len + len + 1);

	if (!out) {
		json_object_put(obj);
		client_close(c);
		return;
	}
	c->out = out;
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	json_object_put(obj);
	client_flush(c);
}

static void reply_error(struct client *c, const char *why)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(why));
	client_reply(c, o);
}

static struct json_object *reply_ok(enum ctl_command cmd)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "command", json_object_new_string(ctl_command_name(cmd)));
	return o;
}

static struct json_object *json_mac(const uint8_t mac[MAC_LEN])
{
	char s[MAC_STRLEN];

	return json_object_new_string(mac_format(mac, s));
}

static struct json_object *json_macs(const uint8_t *macs, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_mac(macs + i * MAC_LEN));
	return a;
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *counters_json(const struct daemon_counters *c,
					 const struct link_set_counters *lc,
					 const struct nodes *nodes, const struct announce *sig)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "tap_rx_frames", c->tap_rx_frames);
	add_u64(o, "tap_rx_bytes", c->tap_rx_bytes);
	add_u64(o, "tap_tx_frames", c->tap_tx_frames);
	add_u64(o, "tap_tx_bytes", c->tap_tx_bytes);
	add_u64(o, "drop_foreign_src", c->drop_foreign_src);
	add_u64(o, "drop_no_route", c->drop_no_route);
	add_u64(o, "drop_queue_full", lc->queue_full);
	add_u64(o, "drop_duplicate", c->drop_duplicate);
	add_u64(o, "drop_unknown_origin", c->drop_unknown_origin);
	add_u64(o, "drop_tap_write", c->drop_tap_write);
	add_u64(o, "bad_frames", lc->bad_frames);
	add_u64(o, "links_refused", lc->refused);
	add_u64(o, "links_refused_per_addr", lc->refused_per_addr);
	add_u64(o, "links_refused_full", lc->refused_full);
	add_u64(o, "links_closed_silent", lc->closed_silent);
	add_u64(o, "drop_offload", c->drop_offload);
	add_u64(o, "links_full_refused", lc->full_refused);
	add_u64(o, "full_notices", c->full_notices);
	add_u64(o, "drain_notices", c->drain_notices);
	add_u64(o, "routes_gone", c->routes_gone);
	add_u64(o, "routes_withdrawn", c->routes_withdrawn);
	add_u64(o, "withdraw_ignored", c->withdraw_ignored);
	add_u64(o, "keepalives", c->keepalives);
	add_u64(o, "refreshes", c->refreshes);
	add_u64(o, "rounds_joined", c->rounds_joined);
	add_u64(o, "drop_future_id", c->drop_future_id);
	add_u64(o, "drop_reverse_path", c->drop_reverse_path);
	add_u64(o, "drop_not_direct", c->drop_not_direct);
	add_u64(o, "drop_new_origins", c->drop_new_origins);
	add_u64(o, "drop_routes_full", c->drop_routes_full);
	add_u64(o, "drop_health_rate", c->drop_health_rate);
	add_u64(o, "drop_spoofed_src", c->drop_spoofed_src);
	add_u64(o, "refused_rebind", nodes->refused_rebind);
	add_u64(o, "refused_address", nodes->refused_address);
	if (sig) {
		/* (ext) signed announcements (announce.h says what each counts) */
		const struct announce_counters *s = &sig->c;

		add_u64(o, "sig_ok", s->sig_ok);
		add_u64(o, "sig_cached", s->sig_cached);
		add_u64(o, "sig_bad", s->sig_bad);
		add_u64(o, "sig_no_cert", s->sig_no_cert);
		add_u64(o, "sig_over_budget", s->sig_over_budget);
		add_u64(o, "cert_req_sent", s->cert_req_sent);
		add_u64(o, "cert_sent", s->cert_sent);
		add_u64(o, "cert_ok", s->cert_ok);
		add_u64(o, "cert_bad", s->cert_bad);
		add_u64(o, "cert_unasked", s->cert_unasked);
		add_u64(o, "unsigned_refused", s->unsigned_refused);
		add_u64(o, "certs_cached", sig->certs.count);
		add_u64(o, "certs_evicted", sig->certs.evicted);
	}
	return o;
}

static struct json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Whole seconds until a time ms away, rounded up: "in 0 s" only when it is due. */
static struct json_object *json_secs(uint64_t ms)
{
	return json_object_new_uint64((ms + 999) / 1000);
}

static struct json_object *mdns_json(const struct invpnd *d)
{
	struct json_object *o = json_object_new_object();
	struct mdns_info mi;

	mdns_get_info(d->mdns, &mi);
	json_object_object_add(o, "state", json_object_new_string(mdns_state_name(mi.state)));
	json_object_object_add(o, "service_name", json_str_or_null(mi.service_name));
	json_object_object_add(o, "browsing", json_object_new_boolean(mi.browsing));
	add_u64(o, "services", mi.services);
	add_u64(o, "resolved", mi.found);
	json_object_object_add(o, "error", json_str_or_null(mi.error));
	json_object_object_add(o, "retry_in_s", mi.retrying ? json_secs(mi.retry_in_ms) : NULL);
	return o;
}

static struct json_object *dns_json(const struct invpnd *d)
{
	struct json_object *a = json_object_new_array();
	struct resolve_info ri;

	for (size_t i = 0; resolve_get_info(d->resolve, i, &ri); i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(ri.name));
		json_object_object_add(o, "type", json_object_new_string(ri.srv ? "srv" : "seed"));
		json_object_object_add(o, "state", json_object_new_string(resolve_state_name(&ri)));
		json_object_object_add(o, "resolving", json_object_new_boolean(ri.busy));
		add_u64(o, "addresses", ri.addresses);
		json_object_object_add(o, "targets",
				       ri.srv ? json_object_new_uint64(ri.targets) : NULL);
		add_u64(o, "fails", ri.fails);
		json_object_object_add(o, "error", json_str_or_null(ri.error));
		json_object_object_add(o, "next_lookup_s",
				       ri.busy ? NULL : json_secs(ri.next_in_ms));
		json_object_array_add(a, o);
	}
	return a;
}

static void do_status(struct client *c)
{
	struct invpnd *d = c->ctl->d;
	struct json_object *o = reply_ok(CTL_STATUS);
	size_t n_nodes = 0;

	nodes_foreach(&d->nodes, a)
		n_nodes++;
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "mac", json_mac(d->mac));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "interface", json_object_new_string(d->tap.name));
	json_object_object_add(o, "port", json_object_new_int(d->cfg->port));
	json_object_object_add(o, "listening", json_object_new_boolean(d->n_listen > 0));
	add_u64(o, "uptime_s", (loop_clock_ms() - d->started_ms) / 1000);
	add_u64(o, "links", d->links.n_up);
	add_u64(o, "links_pending", d->links.n_links - d->links.n_up);
	add_u64(o, "min_links", d->cfg->min_links);
	add_u64(o, "max_links", d->cfg->max_links);
	add_u64(o, "routes", d->routes.count);
	add_u64(o, "routes_changed_ms", d->routes_changed_wall_ms);
	add_u64(o, "nodes", n_nodes);
	/* how often we flood our INFO now, and how long routes live (pace.h) */
	add_u64(o, "flood_interval_ms", daemon_flood_ms(d));
	add_u64(o, "route_timeout_ms",
		pace_route_timeout_ms(d->cfg->route_timeout, daemon_flood_ms(d)));
	{
		long long cert, ca;

		tls_expiry(&d->tls, &cert, &ca);
		json_object_object_add(o, "cert_expires", json_object_new_int64(cert));
		json_object_object_add(o, "ca_expires", json_object_new_int64(ca));
		/* 0 without a CRL; past: still enforced, see invpnd(8) */
		json_object_object_add(o, "crl_next_update",
				       json_object_new_int64(tls_crl_next_update(&d->tls)));
	}
	json_object_object_add(o, "mdns", mdns_json(d));
	json_object_object_add(o, "dns", dns_json(d));
	json_object_object_add(o, "counters",
			       counters_json(&d->counters, &d->links.c, &d->nodes, d->sig));
	client_reply(c, o);
}

static void do_peers(struct client *c)
{
	struct invpnd *d = c->ctl->d;
	struct json_object *o = reply_ok(CTL_PEERS), *arr = json_object_new_array();
	uint64_t now = loop_clock_ms();

	for (struct link *l = d->links.list; l; l = l->next) {
		struct json_object *p = json_object_new_object();
		char addr[64];

		addr_format((struct sockaddr *)&l->addr, addr, sizeof(addr));
		json_object_object_add(p, "mac",
				       l->state == LINK_UP ? json_mac(l->peer_mac) : NULL);
		json_object_object_add(p, "address", json_object_new_string(addr));
		json_object_object_add(p, "direction",
				       json_object_new_string(l->outgoing ? "outgoing"
									  : "incoming"));
		json_object_object_add(p, "state",
				       json_object_new_string(link_state_name(l->state)));
		add_u64(p, "age_s",
			(now - (l->state == LINK_UP ? l->up_ms : l->created_ms)) / 1000);
		json_object_object_add(p, "tls_version",
				       l->state == LINK_UP
					       ? json_object_new_string(SSL_get_version(l->ssl))
					       : NULL);
		json_object_object_add(p, "cipher",
				       l->state == LINK_UP
					       ? json_object_new_string(SSL_get_cipher_name(l->ssl))
					       : NULL);
		add_u64(p, "rx_frames", l->c.rx_frames);
		add_u64(p, "rx_bytes", l->c.rx_bytes);
		add_u64(p, "tx_frames", l->c.tx_frames);
		add_u64(p, "tx_bytes", l->c.tx_bytes);
		add_u64(p, "drops", l->c.drops);
		add_u64(p, "queued_bytes", link_queued(l));
		/* being shed: nothing is routed into it, it closes once idle */
		json_object_object_add(p, "draining", json_object_new_boolean(l->drain_ms != 0));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "peers", arr);
	client_reply(c, o);
}

struct route_dump {
	struct json_object *arr;
	uint64_t now;
};

static void dump_route(const struct route *r, void *arg)
{
	struct route_dump *rd = arg;
	struct json_object *o = json_object_new_object();
	char addr[64];

	addr_format((const struct sockaddr *)&r->via->addr, addr, sizeof(addr));
	json_object_object_add(o, "mac", json_mac(r->mac));
	json_object_object_add(o, "via", json_mac(r->via->peer_mac));
	json_object_object_add(o, "via_address", json_object_new_string(addr));
	json_object_object_add(o, "signed", json_object_new_boolean(r->sig));
	add_u64(o, "age_s", (rd->now - r->learned_ms) / 1000);
	add_u64(o, "updated_s", (rd->now - r->updated_ms) / 1000);
	json_object_array_add(rd->arr, o);
}

static void do_routes(struct client *c)
{
	struct invpnd *d = c->ctl->d;
	struct json_object *o = reply_ok(CTL_ROUTES);
	struct route_dump rd = {json_object_new_array(), loop_clock_ms()};

	route_foreach(&d->routes, dump_route, &rd);
	json_object_object_add(o, "routes", rd.arr);
	client_reply(c, o);
}

/* The text /metrics serves, as one JSON string: for invpnctl metrics (the textfile collector) */
static void do_metrics(struct client *c)
{
	struct json_object *o;
	size_t len = 0;
	char *text = metrics_render(c->ctl->d, &len);

	if (!text) {
		reply_error(c, strerror(ENOMEM));
		return;
	}
	o = reply_ok(CTL_METRICS);
	json_object_object_add(o, "text", json_object_new_string_len(text, (int)len));
	free(text);
	client_reply(c, o);
}

static void do_nodes(struct client *c)
{
	struct invpnd *d = c->ctl->d;
	struct json_object *o = reply_ok(CTL_NODES), *arr = json_object_new_array();
	uint64_t now = loop_clock_ms();

	nodes_foreach(&d->nodes, a) {
		struct json_object *n = json_object_new_object();
		char addr[64];

		addr_format((struct sockaddr *)&a->sa, addr, sizeof(addr));
		json_object_object_add(n, "mac", a->has_mac ? json_mac(a->mac) : NULL);
		json_object_object_add(n, "address", json_object_new_string(addr));
		json_object_object_add(n, "source",
				       json_object_new_string(nodes_source_name(a->source)));
		struct json_object *srcs = json_object_new_array();

		for (int s = 0; s < NODE_SRC_COUNT; s++) {
			if (a->sources & (1u << s))
				json_object_array_add(srcs,
						      json_object_new_string(nodes_source_name(s)));
		}
		json_object_object_add(n, "sources", srcs);
		add_u64(n, "fails", a->fails);
		json_object_object_add(n, "last_success",
				       a->last_success_wall_ms
					       ? json_object_new_uint64(a->last_success_wall_ms /
									1000)
					       : NULL);
		json_object_object_add(n, "dialing", json_object_new_boolean(a->dialing));
		add_u64(n, "retry_in_s",
			a->next_try_ms > now ? (a->next_try_ms - now + 999) / 1000 : 0);
		json_object_array_add(arr, n);
	}
	json_object_object_add(o, "nodes", arr);
	client_reply(c, o);
}

/* ---- health rounds (health.c runs them; we only format the result) ---- */

static struct json_object *answer_json(const struct proto_health_resp *r, uint64_t rtt_us)
{
	struct json_object *o = json_object_new_object(), *routes = json_object_new_array();
	char rtt[32];

	json_object_object_add(o, "mac", json_mac(r->src));
	/* milliseconds with three decimals, printed as such (not as %.17g) */
	snprintf(rtt, sizeof(rtt), "%.3f", (double)rtt_us / 1000);
	json_object_object_add(o, "rtt_ms", json_object_new_double_s((double)rtt_us / 1000, rtt));
	json_object_object_add(o, "hops", json_object_new_int((int)r->ntrace + 1));
	json_object_object_add(o, "links", json_macs(r->conn, r->nconn));
	for (size_t i = 0; i < r->nroutes; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "mac", json_mac(r->routes + i * 2 * MAC_LEN));
		json_object_object_add(e, "via", json_mac(r->routes + i * 2 * MAC_LEN + MAC_LEN));
		json_object_array_add(routes, e);
	}
	json_object_object_add(o, "routes", routes);
	json_object_object_add(o, "trace", json_macs(r->trace, r->ntrace));
	json_object_object_add(o, "rtrace", json_macs(r->rtrace, r->nrtrace));
	return o;
}

static void round_done(struct health_round *r)
{
	struct client *c = container_of(r, struct client, round);
	struct invpnd *d = c->ctl->d;
	struct json_object *o = reply_ok(c->req.command), *self, *answers;
	static uint8_t buf[PROTO_MAX_FRAME];
	struct proto_health_req req = {.id = r->id};
	struct proto_health_resp resp;
	int n;

	/* our own entry, as we would answer someone else */
	memcpy(req.origin, d->mac, MAC_LEN);
	n = health_build_response(&d->health, &req, buf, sizeof(buf));
	if (n > 0 && proto_decode_health_resp(buf + PROTO_HDR_SIZE, (size_t)n - PROTO_HDR_SIZE,
					      &resp) == 0) {
		self = answer_json(&resp, 0);
		json_object_object_add(self, "hops", json_object_new_int(0));
		json_object_object_add(o, "self", self);
	}
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	add_u64(o, "wait_ms", c->req.wait_ms);
	if (c->req.has_target)
		json_object_object_add(o, "target", json_mac(c->req.target));
	answers = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		if (health_round_get(r, i, &resp) == 0)
			json_object_array_add(answers, answer_json(&resp, r->answers[i].rtt_us));
	}
	json_object_object_add(o, "answers", answers);
	/* what the round did not keep: repeats from one node, and what passed its bounds */
	add_u64(o, "answers_duplicate", r->dup);
	add_u64(o, "answers_dropped", r->over);
	add_u64(o, "answers_unknown", r->unknown);
	/* linked peers the request was not sent to, and why */
	answers = json_object_new_array();
	for (size_t i = 0; i < r->n_not_asked && i < HEALTH_MAX_NOT_ASKED; i++) {
		struct json_object *na = json_object_new_object();

		json_object_object_add(na, "mac", json_mac(r->not_asked[i]));
		json_object_object_add(na, "why",
				       json_object_new_string("sent no CAPS: an original node, "
							      "whose HEALTH REQUEST handler "
							      "can hang it"));
		json_object_array_add(answers, na);
	}
	json_object_object_add(o, "not_asked", answers);
	add_u64(o, "not_asked_count", r->n_not_asked);
	health_round_end(r);
	c->waiting = false;
	c->last_ms = loop_clock_ms();
	client_reply(c, o);
}

static void start_round(struct client *c, const struct ctl_request *req)
{
	struct invpnd *d = c->ctl->d;
	int r;

	c->req = *req;
	r = health_round_start(&d->health, &c->round, req->wait_ms, round_done);
	if (r < 0) {
		reply_error(c, strerror(-r));
		return;
	}
	c->waiting = true;
}

static void handle_request(struct client *c, const char *line, size_t len)
{
	struct ctl_request req;
	const char *why;

	c->last_ms = loop_clock_ms();
	if (c->refused) {
		reply_error(c, c->refused);
		client_close(c);
		return;
	}
	if (ctl_parse_request(line, len, &req, &why) < 0) {
		reply_error(c, why);
		return;
	}
	switch (req.command) {
	case CTL_STATUS:
		do_status(c);
		break;
	case CTL_PEERS:
		do_peers(c);
		break;
	case CTL_ROUTES:
		do_routes(c);
		break;
	case CTL_NODES:
		do_nodes(c);
		break;
	case CTL_METRICS:
		do_metrics(c);
		break;
	case CTL_HEALTH:
	case CTL_TRACEROUTE:
	case CTL_GRAPH:
		start_round(c, &req);
		break;
	case CTL_COMMAND_COUNT:
		break;
	}
}

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n;
		char *nl;

		/* one request at a time: the next waits until this one is answered */
		if (c->waiting)
			return;
		nl = memchr(c->in, '\n', c->in_len);
		if (nl) {
			size_t len = (size_t)(nl - c->in);

			handle_request(c, c->in, len);
			if (c->closed)
				return;
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
			continue;
		}
		if (c->in_len == sizeof(c->in)) {
			reply_error(c, "request too long");
			client_close(c);
			return;
		}
		n = recv(c->io.fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(c);
			return;
		}
		if (n < 0)
			return;
		c->in_len += (size_t)n;
	}
}

static void client_io(struct loop_io *io, uint32_t events)
{
	struct client *c = container_of(io, struct client, io);

	if (events & EPOLLOUT)
		client_flush(c);
	if (!c->closed && c->out_len == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		client_read(c);
}

/*
 * May this peer use the socket? Root, the daemon's own user, or a member of
 * the socket file's group (primary or supplementary): the file's mode is a
 * first gate, this one holds even if someone loosens the mode. 0, or
 * -EACCES with why written.
 */
static int peer_allowed(const struct control *ctl, int fd, char *why, size_t whylen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t groups[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		snprintf(why, whylen, "permission denied: cannot read the client's credentials: %s",
			 strerror(errno));
		return -EACCES;
	}
	if (cr.uid == 0 || cr.uid == geteuid() || cr.gid == ctl->gid)
		return 0;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(groups[0]); i++) {
			if (groups[i] == ctl->gid)
				return 0;
		}
	}
	snprintf(why, whylen,
		 "permission denied: uid %u is neither root nor in the control socket's group "
		 "(gid %u)",
		 (unsigned)cr.uid, (unsigned)ctl->gid);
	return -EACCES;
}

/*
 * Make room for one more client: close a refused one, else the one idle the
 * longest (a client waiting on a health round is busy, not idle); a refused
 * newcomer may only push out another refused one. False if there is none.
 */
static bool evict_idle(struct control *ctl, bool for_refused)
{
	struct client *oldest = NULL;

	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->waiting || c->out_len || (for_refused && !c->refused))
			continue;
		if (!oldest || (c->refused && !oldest->refused) ||
		    (!c->refused == !oldest->refused && c->last_ms < oldest->last_ms))
			oldest = c;
	}
	if (!oldest)
		return false;
	log_ratelimited(
		&ctl_rl, loop_clock_ms(), LOG_NOTICE,
		"control: %d clients: closed the one idle for longest (%llu ms) for a new one",
		CONTROL_MAX_CLIENTS, (unsigned long long)(loop_clock_ms() - oldest->last_ms));
	client_close(oldest);
	return true;
}

static void on_accept(struct loop_io *io, uint32_t events)
{
	struct control *ctl = container_of(io, struct control, io);

	for (int i = 0; i < 16; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		char why[160];
		bool refused;

		if (fd < 0)
			return;
		refused = peer_allowed(ctl, fd, why, sizeof(why)) < 0;
		if (refused) {
			log_ratelimited(&refuse_rl, loop_clock_ms(), LOG_NOTICE, "control: %s",
					why);
		}
		if (ctl->n_clients >= CONTROL_MAX_CLIENTS && !evict_idle(ctl, refused)) {
			log_ratelimited(&ctl_rl, loop_clock_ms(), LOG_WARNING,
					"control: %d clients, all busy: connection refused",
					CONTROL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || loop_io_add(&ctl->d->loop, &c->io, fd, EPOLLIN, client_io) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->last_ms = loop_clock_ms();
		if (refused) {
			/* kept until it asks, so that it reads why rather than a reset */
			snprintf(c->refused_why, sizeof(c->refused_why), "%s", why);
			c->refused = c->refused_why;
		}
		c->next = ctl->clients;
		if (ctl->clients)
			ctl->clients->prev = c;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

void control_tick(struct invpnd *d, uint64_t now_ms)
{
	struct control *ctl = d->control;

	if (!ctl)
		return;
	for (struct client *c = ctl->clients, *next; c; c = next) {
		next = c->next;
		if (c->waiting)
			continue;
		if ((c->out_len && now_ms - c->last_ms >= CONTROL_STALL_MS) ||
		    now_ms - c->last_ms >= CONTROL_IDLE_MS)
			client_close(c);
	}
}

/*
 * The socket's directory: made if missing; it must be a real directory owned
 * by root or by us, which no one else can write to (unless sticky, as /tmp),
 * so that no one can swap the socket under us. 0, or -errno with why.
 */
static int make_parent_dir(const char *path, const char **why)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	*why = NULL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	else if (lstat(dir, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		*why = "is not a directory (a symbolic link?)";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		*why = "is owned by another user";
	else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		*why = "is writable by others (and not sticky)";
	if (*why)
		r = -EPERM;
	free(copy);
	return r;
}

int control_open(struct invpnd *d, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct control *ctl;
	const char *why = NULL;
	struct stat st;
	mode_t mask;
	int fd = -1, r;

	if (!d->cfg->control || !*d->cfg->control)
		return 0;
	if (strlen(d->cfg->control) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control: %s: path too long", d->cfg->control);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, d->cfg->control);
	if (d->ctlfd >= 0) {
		/* kept across a re-exec: already bound and listening */
		fd = d->ctlfd;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		goto ready;
	}
	if ((r = make_parent_dir(d->cfg->control, &why)) < 0) {
		if (why)
			snprintf(err, errlen, "control: the directory of %s %s", d->cfg->control,
				 why);
		else
			snprintf(err, errlen, "control: cannot create the directory of %s: %s",
				 d->cfg->control, strerror(-r));
		return r;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* a socket left by a dead daemon is replaced; a live daemon's is not */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		snprintf(err, errlen, "control: %s: another invpnd is running there",
			 d->cfg->control);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(d->cfg->control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* born 0660: no window with a looser mode, and no chmod of a path */
	mask = umask(0117);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (r < 0 || listen(fd, 64) < 0)
		goto fail;
ready:
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		goto fail;
	/* the group whose members may connect: the socket file's */
	ctl->gid = stat(d->cfg->control, &st) == 0 ? st.st_gid : 0;
	ctl->d = d;
	ctl->path = strdup(d->cfg->control);
	if (loop_io_add(&d->loop, &ctl->io, fd, EPOLLIN, on_accept) < 0) {
		free(ctl->path);
		free(ctl);
		goto fail;
	}
	d->control = ctl;
	return 0;
fail:
	r = -errno;
	snprintf(err, errlen, "control: %s: %s", d->cfg->control, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(d->cfg->control);
	}
	return r;
}

int control_fd(const struct invpnd *d)
{
	return d->control ? d->control->io.fd : -1;
}

void control_close(struct invpnd *d)
{
	struct control *ctl = d->control;

	if (!ctl)
		return;
	while (ctl->clients)
		client_close(ctl->clients);
	control_after_round(d);
	loop_io_del(&d->loop, &ctl->io);
	close(ctl->io.fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	d->control = NULL;
}
