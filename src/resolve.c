#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "discovery.h"
#include "log.h"
#include "loop.h"
#include "nodes.h"
#include "util.h"

#define RESOLVE_MAX_FDS 16

enum item_kind {
	ITEM_SEED,
	ITEM_SRV
};

/* A configured name, resolved now and again. */
struct item {
	enum item_kind kind;
	char name[300]; /* seed host, or "_invpn._tcp.DOMAIN" */
	bool has_mac;
	uint8_t mac[MAC_LEN];
	uint16_t port;
	bool busy;
	unsigned fails;
	uint64_t next_ms;
	/* the last result, for invpnctl status */
	bool done, ok;
	size_t addresses, targets;
	const char *error; /* ares_strerror's static strings, or our own literals */
};

struct resolve_fd {
	struct loop_io io;
	struct resolve *r;
	bool used;
};

struct resolve {
	struct discovery_env *env;
	ares_channel ch;
	bool stopping;
	struct loop_timer ares_timer;
	struct loop_timer refresh_timer;
	struct resolve_fd fds[RESOLVE_MAX_FDS];
	struct item *items;
	size_t n_items;
};

/* What a query's callback needs; freed by the callback. */
struct query {
	struct resolve *r;
	size_t item;
	uint16_t port;
	unsigned rank;
};

static void arm_ares_timer(struct resolve *r);

static void on_fd(struct loop_io *io, uint32_t events)
{
	struct resolve_fd *f = (struct resolve_fd *)io;

	ares_process_fd(f->r->ch,
			events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? io->fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? io->fd : ARES_SOCKET_BAD);
	arm_ares_timer(f->r);
}

/* c-ares tells us which of its sockets to watch; (0, 0) comes just before it closes one. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolve *r = data;
	uint32_t events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	struct resolve_fd *f = NULL, *free_slot = NULL;

	for (size_t i = 0; i < RESOLVE_MAX_FDS; i++) {
		if (r->fds[i].used && r->fds[i].io.fd == fd)
			f = &r->fds[i];
		else if (!r->fds[i].used && !free_slot)
			free_slot = &r->fds[i];
	}
	if (!events) {
		if (f) {
			loop_io_del(r->env->loop, &f->io);
			f->used = false;
		}
		return;
	}
	if (f) {
		loop_io_mod(r->env->loop, &f->io, events);
		return;
	}
	if (!free_slot) {
		log_warn("dns: more than %d sockets at once", RESOLVE_MAX_FDS);
		return;
	}
	free_slot->r = r;
	if (loop_io_add(r->env->loop, &free_slot->io, fd, events, on_fd) == 0)
		free_slot->used = true;
}

static void on_ares_timer(struct loop_timer *t)
{
	struct resolve *r = container_of(t, struct resolve, ares_timer);

	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_ares_timer(r);
}

static void arm_ares_timer(struct resolve *r)
{
	struct timeval tv, *tvp;

	if (r->stopping)
		return;
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (!tvp) {
		loop_timer_cancel(r->env->loop, &r->ares_timer);
		return;
	}
	/* ares_timeout truncates to whole ms: one more, or the loop spins for the rest */
	loop_timer_arm(r->env->loop, &r->ares_timer,
		       (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000 + 1,
		       on_ares_timer);
}

static void item_done(struct resolve *r, struct item *it, bool ok, const char *why)
{
	uint64_t now = loop_clock_ms();

	it->busy = false;
	it->done = true;
	it->ok = ok;
	it->error = ok ? NULL : why;
	if (ok) {
		if (it->fails)
			log_notice("dns: %s resolves again", it->name);
		it->fails = 0;
		it->next_ms = now + RESOLVE_REFRESH_MS;
		return;
	}
	/* warn on the first failure of a streak, not on every retry */
	if (!it->fails)
		log_warn("dns: %s: %s (retrying)", it->name, why);
	if (it->fails < 16)
		it->fails++;
	it->next_ms = now + nodes_backoff_ms(it->fails, (unsigned)random()) * RESOLVE_RETRY_MIN_MS /
				    NODES_BACKOFF_MIN_MS;
	if (it->next_ms > now + RESOLVE_REFRESH_MS)
		it->next_ms = now + RESOLVE_REFRESH_MS;
}

/* Addresses of a seed name or an SRV target: into the directory. */
static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query *q = arg;
	struct resolve *r = q->r;
	struct item *it;
	size_t added = 0;

	if (status == ARES_EDESTRUCTION || r->stopping) {
		ares_freeaddrinfo(res);
		free(q);
		return;
	}
	it = &r->items[q->item];
	for (struct ares_addrinfo_node *n = res ? res->nodes : NULL; n; n = n->ai_next) {
		struct sockaddr_storage ss;
		struct node_addr *a;

		if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
		    n->ai_addrlen > sizeof(ss))
			continue;
		memcpy(&ss, n->ai_addr, n->ai_addrlen);
		addr_set_port(&ss, q->port);
		a = nodes_add(r->env->nodes, it->has_mac ? it->mac : NULL, (struct sockaddr *)&ss,
			      n->ai_addrlen, NODE_SRC_DNS, loop_wall_ms());
		if (a) {
			a->rank = q->rank;
			added++;
		}
	}
	if (it->kind == ITEM_SEED)
		it->addresses = added;
	else
		it->addresses += added; /* the SRV answer reset it */
	if (it->kind == ITEM_SEED)
		item_done(r, it, status == ARES_SUCCESS && added,
			  status == ARES_SUCCESS ? "no usable address" : ares_strerror(status));
	else if (status != ARES_SUCCESS)
		log_info("dns: SRV target of %s: %s", it->name, ares_strerror(status));
	if (added) {
		log_debug("dns: %zu address(es) from %s", added, it->name);
		r->env->learned(r->env);
	}
	ares_freeaddrinfo(res);
	free(q);
}

static void lookup_host(struct resolve *r, size_t item, const char *host, uint16_t port,
			unsigned rank)
{
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct query *q = malloc(sizeof(*q));

	if (!q)
		return;
	*q = (struct query){r, item, port, rank};
	ares_getaddrinfo(r->ch, host, NULL, &hints, on_addrinfo, q);
}

static uint32_t random32(void *arg)
{
	return (uint32_t)random();
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct resolve *r = q->r;
	struct ares_srv_reply *reply = NULL;
	struct resolve_srv v[RESOLVE_MAX_SRV_TARGETS];
	struct item *it;
	size_t n = 0;

	if (status == ARES_EDESTRUCTION || r->stopping) {
		free(q);
		return;
	}
	it = &r->items[q->item];
	if (status == ARES_SUCCESS)
		status = ares_parse_srv_reply(abuf, alen, &reply);
	if (status != ARES_SUCCESS) {
		it->targets = it->addresses = 0;
		item_done(r, it, false, ares_strerror(status));
		free(q);
		return;
	}
	for (struct ares_srv_reply *s = reply; s && n < RESOLVE_MAX_SRV_TARGETS; s = s->next) {
		/* "." as the target means: no such service here (RFC 2782) */
		if (!s->host[0] || !strcmp(s->host, ".") || s->port == 0)
			continue;
		v[n++] = (struct resolve_srv){s->priority, s->weight, s->port, s->host};
	}
	resolve_srv_order(v, n, random32, NULL);
	it->targets = n;
	it->addresses = 0; /* counted again as the targets resolve */
	for (size_t i = 0; i < n; i++)
		lookup_host(r, q->item, v[i].target, v[i].port, (unsigned)i + 1);
	item_done(r, it, n > 0, "no usable SRV records");
	ares_free_data(reply);
	free(q);
}

static void start_item(struct resolve *r, size_t i)
{
	struct item *it = &r->items[i];

	it->busy = true;
	if (it->kind == ITEM_SEED) {
		lookup_host(r, i, it->name, it->port, 0);
	} else {
		struct query *q = malloc(sizeof(*q));

		if (!q) {
			it->busy = false;
			return;
		}
		*q = (struct query){r, i, 0, 0};
		ares_query(r->ch, it->name, ns_c_in, ns_t_srv, on_srv, q);
	}
}

static void on_refresh(struct loop_timer *t)
{
	struct resolve *r = container_of(t, struct resolve, refresh_timer);
	uint64_t now = loop_clock_ms();

	for (size_t i = 0; i < r->n_items; i++) {
		if (!r->items[i].busy && r->items[i].next_ms <= now)
			start_item(r, i);
	}
	arm_ares_timer(r);
	loop_timer_arm(r->env->loop, t, 1000, on_refresh);
}

int resolve_start(struct resolve **out, struct discovery_env *env, char *err, size_t errlen)
{
	const struct config *c = env->cfg;
	struct ares_options opts = {0};
	struct resolve *r;
	size_t n = c->n_srv;
	int status;

	*out = NULL;
	for (size_t i = 0; i < c->n_init; i++)
		n += !addr_is_ip(c->init[i].host);
	if (n == 0)
		return 0;
	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status != ARES_SUCCESS) {
		snprintf(err, errlen, "dns: %s", ares_strerror(status));
		return -ENOMEM;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->items = calloc(n, sizeof(*r->items)))) {
		free(r);
		ares_library_cleanup();
		snprintf(err, errlen, "dns: out of memory");
		return -ENOMEM;
	}
	r->env = env;
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = r;
	static char lookups[] = "fb"; /* /etc/hosts first, then DNS */

	opts.lookups = lookups;
	status = ares_init_options(&r->ch, &opts, ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
	if (status != ARES_SUCCESS) {
		snprintf(err, errlen, "dns: cannot start the resolver: %s", ares_strerror(status));
		free(r->items);
		free(r);
		ares_library_cleanup();
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_init; i++) {
		struct item *it = &r->items[r->n_items];

		if (addr_is_ip(c->init[i].host))
			continue;
		it->kind = ITEM_SEED;
		snprintf(it->name, sizeof(it->name), "%s", c->init[i].host);
		it->has_mac = c->init[i].has_mac;
		memcpy(it->mac, c->init[i].mac, MAC_LEN);
		it->port = c->init[i].port;
		r->n_items++;
	}
	for (size_t i = 0; i < c->n_srv; i++) {
		struct item *it = &r->items[r->n_items++];

		it->kind = ITEM_SRV;
		snprintf(it->name, sizeof(it->name), "_invpn._tcp.%s", c->srv[i]);
	}
	*out = r;
	on_refresh(&r->refresh_timer);
	return 0;
}

void resolve_stop(struct resolve *r)
{
	if (!r)
		return;
	r->stopping = true;
	loop_timer_cancel(r->env->loop, &r->ares_timer);
	loop_timer_cancel(r->env->loop, &r->refresh_timer);
	ares_destroy(r->ch); /* runs the pending callbacks with ARES_EDESTRUCTION */
	for (size_t i = 0; i < RESOLVE_MAX_FDS; i++) {
		if (r->fds[i].used)
			loop_io_del(r->env->loop, &r->fds[i].io);
	}
	free(r->items);
	free(r);
	ares_library_cleanup();
}

size_t resolve_count(const struct resolve *r)
{
	return r ? r->n_items : 0;
}

bool resolve_get_info(const struct resolve *r, size_t i, struct resolve_info *out)
{
	const struct item *it;
	uint64_t now = loop_clock_ms();

	memset(out, 0, sizeof(*out));
	if (!r || i >= r->n_items)
		return false;
	it = &r->items[i];
	out->name = it->name;
	out->srv = it->kind == ITEM_SRV;
	out->busy = it->busy;
	out->done = it->done;
	out->ok = it->ok;
	out->fails = it->fails;
	out->addresses = it->addresses;
	out->targets = it->targets;
	out->error = it->error;
	/* the refresh timer looks once a second: a due lookup starts within one */
	out->next_in_ms = it->busy ? 0 : it->next_ms > now ? it->next_ms - now : 0;
	return true;
}

void resolve_srv_order(struct resolve_srv *v, size_t n, uint32_t (*rnd)(void *), void *arg)
{
	/* by priority: insertion sort, stable */
	for (size_t i = 1; i < n; i++) {
		struct resolve_srv x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1].priority > x.priority; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	/* within a priority: pick each next one with probability weight / sum (RFC 2782) */
	for (size_t start = 0; start < n;) {
		size_t end = start;

		while (end < n && v[end].priority == v[start].priority)
			end++;
		for (size_t i = start; i + 1 < end; i++) {
			uint64_t sum = 0, pick, run = 0;
			size_t k = i;

			/* weight 0 keeps a small chance (RFC 2782): every weight counts one more */
			for (size_t j = i; j < end; j++)
				sum += (uint64_t)v[j].weight + 1;
			pick = rnd(arg) % sum;
			for (size_t j = i; j < end; j++) {
				run += (uint64_t)v[j].weight + 1;
				if (pick < run) {
					k = j;
					break;
				}
			}
			struct resolve_srv tmp = v[i];

			v[i] = v[k];
			v[k] = tmp;
		}
		start = end;
	}
}
