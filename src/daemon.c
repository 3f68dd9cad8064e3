#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "addr.h"
#include "autoconnect.h"
#include "announce.h"
#include "cache.h"
#include "control.h"
#include "discovery.h"
#include "link.h"
#include "mdns.h"
#include "metrics.h"
#include "notify.h"
#include "pace.h"
#include "resolve.h"
#include "log.h"
#include "switch.h"
#include "util.h"

#define ACCEPT_BATCH 64
#define CACHE_SAVE_MS 60000

int64_t daemon_next_id(struct invpnd *d)
{
	int64_t now = (int64_t)loop_wall_ms();

	d->last_id = now > d->last_id ? now : d->last_id + 1;
	return d->last_id;
}

void daemon_save_cache(struct invpnd *d)
{
	int r;

	if (!d->cfg->cache || !*d->cfg->cache)
		return;
	r = cache_save(&d->nodes, d->cfg->cache);
	if (r < 0)
		log_warn("%s: cannot write the peer cache: %s", d->cfg->cache, strerror(-r));
	else
		d->nodes.dirty = false;
	d->last_cache_write_ms = loop_clock_ms();
	announce_save(d, false);
}

static void on_accept_resume(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, accept_pause);

	for (size_t i = 0; i < d->n_listen; i++)
		loop_io_mod(&d->loop, &d->listeners[i].io, EPOLLIN);
}

static void on_listen(struct loop_io *io, uint32_t events)
{
	struct invpnd *d = ((struct daemon_listener *)io)->d;
	static struct ratelimit rl;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		const char *why;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* level-triggered: stop asking for a second, or we spin */
				log_ratelimited(&rl, d->loop.now_ms, LOG_WARNING, "accept: %s",
						strerror(errno));
				for (size_t j = 0; j < d->n_listen; j++)
					loop_io_mod(&d->loop, &d->listeners[j].io, 0);
				loop_timer_arm(&d->loop, &d->accept_pause, 1000, on_accept_resume);
			}
			return;
		}
		if (link_admit(&d->links, (struct sockaddr *)&ss, &why) < 0) {
			char who[64];

			addr_format((struct sockaddr *)&ss, who, sizeof(who));
			log_ratelimited(&rl, d->loop.now_ms, LOG_WARNING,
					"connection from %s refused: %s", who, why);
			close(fd);
			continue;
		}
		link_accept(&d->links, fd, (struct sockaddr *)&ss, len);
	}
}

static int open_listener(struct invpnd *d, int family, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0;
	char shown[64];

	/* addr, if any, is an IP literal of this family (config checks, open_listeners picks) */
	if (!addr || !(len = addr_from_string(&ss, addr, d->cfg->port)))
		len = addr_any(&ss, family, d->cfg->port);
	addr_format((struct sockaddr *)&ss, shown, sizeof(shown));
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* one IPv6 socket takes IPv4 too (as the original, built on Qt, did) */
	if (family == AF_INET6 && !addr)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 128) < 0)
		goto fail;
	d->listeners[d->n_listen].d = d;
	if (loop_io_add(&d->loop, &d->listeners[d->n_listen].io, fd, EPOLLIN, on_listen) < 0)
		goto fail;
	d->n_listen++;
	return 0;
fail:
	snprintf(err, errlen, "listen on %s (port): %s", shown, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

static int adopt_listener(struct invpnd *d, int fd, char *err, size_t errlen)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	d->listeners[d->n_listen].d = d;
	if (loop_io_add(&d->loop, &d->listeners[d->n_listen].io, fd, EPOLLIN, on_listen) < 0) {
		snprintf(err, errlen, "kept listening socket %d: %s", fd, strerror(errno));
		return -errno;
	}
	d->n_listen++;
	return 0;
}

static int open_listeners(struct invpnd *d, char *err, size_t errlen)
{
	const char *addr = d->cfg->listen;
	struct in6_addr a6;

	if (d->listenfd[0] >= 0) {
		for (size_t i = 0; i < DAEMON_MAX_LISTEN && d->listenfd[i] >= 0; i++) {
			int r = adopt_listener(d, d->listenfd[i], err, errlen);

			if (r < 0)
				return r;
		}
		return 0;
	}

	if (d->cfg->no_incoming || d->cfg->no_relay)
		return 0;
	if (addr)
		return open_listener(d, inet_pton(AF_INET6, addr, &a6) == 1 ? AF_INET6 : AF_INET,
				     addr, err, errlen);
	/* all addresses: dual-stack IPv6, or IPv4 alone on a host without IPv6 */
	if (open_listener(d, AF_INET6, NULL, err, errlen) == 0)
		return 0;
	if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)
		return -EADDRINUSE;
	return open_listener(d, AF_INET, NULL, err, errlen);
}

static void on_signal(struct loop_io *io, uint32_t events)
{
	struct invpnd *d = container_of(io, struct invpnd, signal_io);
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("signal %d: shutting down", si.ssi_signo);
			d->stopping = true;
			loop_stop(&d->loop);
			break;
		case SIGHUP:
			daemon_reload(d);
			break;
		case SIGUSR2:
			daemon_reexec(d);
			break;
		default:
			break;
		}
	}
}

uint64_t daemon_flood_ms(const struct invpnd *d)
{
	unsigned max = d->cfg->announce_interval_max;

	/* nodes of an earlier version keep routes route_timeout (30 s) only */
	if (d->unpaced_seen_ms && d->loop.now_ms - d->unpaced_seen_ms < PACE_UNPACED_MS &&
	    max > PACE_UNPACED_MAX_S)
		max = PACE_UNPACED_MAX_S;
	return pace_flood_ms(d->cfg->announce_interval, max, d->routes.count);
}

/*
 * Rounds ride together (PROTOCOL: Timing, Pace): a fresh INFO from another
 * node, once half our interval is up, makes us flood now, in the same writes
 * as its relay. Floods spread over the interval cost a TLS record, a TCP
 * segment and its ACK each; joined, a round crosses a link in a few. Any two
 * groups of nodes are less than half an interval apart one way round, so
 * within a round there is one wave. Bounded: one joined flood per interval
 * (INFOs off the round's schedule, an original's every 5 s, a drain's, a
 * hostile node's, must not pull us to half our interval), and a flood per
 * half interval. A refresh asked for and not sent yet is this flood.
 */
void daemon_join_round(struct invpnd *d)
{
	uint64_t now = d->loop.now_ms, flood = daemon_flood_ms(d);

	if (!d->flooded_ms || now - d->flooded_ms < flood / 2 ||
	    (d->joined_ms && now - d->joined_ms < flood))
		return;
	d->joined_ms = now;
	d->counters.rounds_joined++;
	if (d->refresh_timer.armed) {
		loop_timer_cancel(&d->loop, &d->refresh_timer);
		d->refreshed_ms = now;
	}
	switch_announce(d);
}

static void on_refresh(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, refresh_timer);

	d->refreshed_ms = d->loop.now_ms;
	d->counters.refreshes++;
	switch_announce(d);
}

void daemon_refresh_soon(struct invpnd *d)
{
	uint64_t at;

	if (d->refresh_timer.armed)
		return;
	at = pace_refresh_at(d->loop.now_ms, d->refreshed_ms,
			     (uint64_t)d->cfg->announce_interval * 1000, (uint32_t)random());
	loop_timer_arm_at(&d->loop, &d->refresh_timer, at, on_refresh);
}

/* Our own endpoints, never to be dialled on someone's word (PROTOCOL: Rules). */
static void refresh_own_endpoints(struct invpnd *d)
{
	struct sockaddr_storage own[NODES_MAX_OWN];

	nodes_set_own(&d->nodes, own, addr_local_endpoints(own, NODES_MAX_OWN, d->cfg->port));
}

static void on_tick(struct loop_timer *t)
{
	struct invpnd *d = container_of(t, struct invpnd, tick);
	uint64_t now = loop_clock_ms();
	size_t expired;

	/* addresses come and go (DHCP, a new interface): every 10 s is enough */
	if (now / DAEMON_TICK_MS % 10 == 0)
		refresh_own_endpoints(d);
	link_check_timeouts(&d->links, now);
	switch_replay_tick(d);
	/* our flood when its interval is up (it grows with the mesh: pace.h),
	 * else a keepalive on links that would go a base interval without
	 * anything from us (a peer takes a silent link for dead: link_timeout) */
	if (now >= d->flooded_ms + daemon_flood_ms(d))
		switch_announce(d);
	else
		switch_keepalive(d, (uint64_t)d->cfg->announce_interval * 1000 - DAEMON_TICK_MS);
	expired = route_expire(&d->routes, now,
			       pace_route_timeout_ms(d->cfg->route_timeout, daemon_flood_ms(d)));
	if (expired)
		log_debug("%zu route(s) expired", expired);
	control_tick(d, now);
	notify_status(d);
	if ((d->nodes.dirty || (d->sig && d->sig->dirty)) &&
	    now - d->last_cache_write_ms >= CACHE_SAVE_MS)
		daemon_save_cache(d);
	loop_timer_arm(&d->loop, t, DAEMON_TICK_MS, on_tick);
}

static void after_round(void *arg)
{
	struct invpnd *d = arg;

	link_after_round(&d->links);
	if (d->routes.count != d->routes_seen) {
		d->routes_seen = d->routes.count;
		d->routes_changed_wall_ms = loop_wall_ms();
	}
	control_after_round(d);
	mdns_after_round(d->mdns);
}

/* The link set's events, connected to the switch, the directory and autoconnect. */
static struct invpnd *daemon_of(struct link_set *s)
{
	return container_of(s, struct invpnd, links);
}

static void on_link_frame(struct link *l, uint8_t *frame, size_t len)
{
	switch_frame(daemon_of(l->set), l, frame, len);
}

static void on_link_up(struct link *l)
{
	switch_link_up(daemon_of(l->set), l);
}

static void on_link_down(struct link *l)
{
	switch_link_down(daemon_of(l->set), l);
}

static void on_links_changed(struct link_set *s)
{
	struct invpnd *d = daemon_of(s);

	if (!d->stopping)
		autoconnect_soon(d);
}

static void on_dial_done(struct link_set *s, uint64_t addr_id, bool ok, const uint8_t *mac)
{
	nodes_dial_done(&daemon_of(s)->nodes, addr_id, ok, mac, loop_clock_ms(), loop_wall_ms());
}

static void on_dialled_self(struct link_set *s, uint64_t addr_id)
{
	struct invpnd *d = daemon_of(s);
	struct node_addr *a = nodes_get(&d->nodes, addr_id);

	/* an address of our own: never dial it again */
	if (a && !a->has_mac) {
		memcpy(a->mac, d->mac, MAC_LEN);
		a->has_mac = true;
	}
}

/* Back-pressure: read the TAP only while no link moving data is over half full. */
static void on_links_hold(struct link_set *s, bool hold)
{
	struct invpnd *d = daemon_of(s);

	if (d->tap_io.registered)
		loop_io_mod(&d->loop, &d->tap_io, hold ? 0 : EPOLLIN);
}

/* mDNS or DNS put a new address in the directory */
static void on_discovered(struct discovery_env *env)
{
	struct invpnd *d = container_of(env, struct invpnd, disc);

	if (!d->stopping)
		autoconnect_soon(d);
}

static int64_t health_next_id(struct health *h)
{
	return daemon_next_id(container_of(h, struct invpnd, health));
}

static const struct link_events link_events = {
	.frame = on_link_frame,
	.up = on_link_up,
	.down = on_link_down,
	.changed = on_links_changed,
	.dial_done = on_dial_done,
	.self = on_dialled_self,
	.hold = on_links_hold,
};

static void add_seeds(struct invpnd *d)
{
	for (size_t i = 0; i < d->cfg->n_init; i++) {
		const struct config_peer *p = &d->cfg->init[i];
		struct sockaddr_storage ss;
		socklen_t len;

		len = addr_from_string(&ss, p->host, p->port);
		if (!len)
			continue; /* a name: resolve.c looks it up */
		nodes_add(&d->nodes, p->has_mac ? p->mac : NULL, (struct sockaddr *)&ss, len,
			  NODE_SRC_CONFIG, loop_wall_ms());
	}
}

static bool str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/*
 * Take the keys of a re-read configuration that can change live; name those
 * that need a restart. The TLS files were loaded from n already.
 */
static void apply_config(struct invpnd *d, struct config *n)
{
	struct config *c = d->cfg;
	char *t;

#define TAKE_STR(f) (t = c->f, c->f = n->f, n->f = t)
	TAKE_STR(key);
	TAKE_STR(cert);
	TAKE_STR(ca);
	TAKE_STR(crl);
#undef TAKE_STR
	if (n->n_init != c->n_init || memcmp(n->init, c->init, sizeof(n->init[0]) * n->n_init)) {
		memcpy(c->init, n->init, sizeof(c->init));
		c->n_init = n->n_init;
		add_seeds(d); /* new seeds are dialled; removed ones are forgotten on restart */
		log_notice("reload: init: %zu seed(s) now", c->n_init);
	}
	if (n->min_links != c->min_links || n->max_links != c->max_links)
		log_notice("reload: min_links %u, max_links %u", n->min_links, n->max_links);
	c->min_links = n->min_links;
	c->max_links = n->max_links;
	d->links.max_links = n->max_links;
	if (n->log_level != c->log_level) {
		c->log_level = n->log_level;
		log_set_level(c->log_level);
	}
#define RESTART(cond, key)                                                                   \
	do {                                                                                 \
		if (cond)                                                                    \
			log_warn("reload: %s changed in the configuration: it takes effect " \
				 "on restart (or SIGUSR2)",                                  \
				 key);                                                       \
	} while (0)
	RESTART(n->port != c->port, "port");
	RESTART(str_differ(n->listen, c->listen), "listen");
	RESTART(n->n_srv != c->n_srv, "srv");
	for (size_t i = 0; i < n->n_srv && n->n_srv == c->n_srv; i++)
		RESTART(str_differ(n->srv[i], c->srv[i]), "srv");
	RESTART(n->mdns != c->mdns, "mdns");
	RESTART(str_differ(n->cache, c->cache), "cache");
	RESTART(n->no_incoming != c->no_incoming, "no_incoming");
	RESTART(n->no_relay != c->no_relay, "no_relay");
	RESTART(n->offload != c->offload, "offload");
	RESTART(n->sign != c->sign, "sign");
	RESTART(n->require_signed != c->require_signed, "require_signed");
	RESTART(str_differ(n->interface, c->interface), "interface");
	RESTART(n->mtu != c->mtu, "mtu");
	RESTART(str_differ(n->control, c->control), "control");
	RESTART(n->announce_interval != c->announce_interval, "announce_interval");
	RESTART(n->route_timeout != c->route_timeout, "route_timeout");
	RESTART(n->announce_interval_max != c->announce_interval_max, "announce_interval_max");
	RESTART(n->link_timeout != c->link_timeout, "link_timeout");
	RESTART(n->max_routes != c->max_routes, "max_routes");
	RESTART(n->max_nodes != c->max_nodes, "max_nodes");
	RESTART(str_differ(n->user, c->user) || str_differ(n->group, c->group), "user/group");
	RESTART(str_differ(n->up, c->up) || str_differ(n->down, c->down), "up/down");
	RESTART(str_differ(n->metrics, c->metrics), "metrics");
#undef RESTART
}

void daemon_reload(struct invpnd *d)
{
	struct tls fresh;
	struct config cfg, *use = d->cfg;
	char err[CONFIG_ERR_SIZE + 512], m1[MAC_STRLEN], m2[MAC_STRLEN];
	size_t closed = 0;

	notify_reloading();
	config_init(&cfg);
	/* the configuration file first: it names the files to load (crl added, say) */
	if (d->read_config) {
		if (d->read_config(&cfg, d->read_config_arg, err, sizeof(err)) < 0) {
			log_err("reload failed, keeping the old configuration and certificates: %s",
				err);
			config_fini(&cfg);
			notify_ready(d);
			return;
		}
		use = &cfg;
	}
	if (tls_init(&fresh, use, err, sizeof(err)) < 0) {
		log_err("reload failed, keeping the old certificates: %s", err);
		config_fini(&cfg);
		notify_ready(d);
		return;
	}
	if (!mac_eq(fresh.mac, d->mac)) {
		log_err("reload failed: the new certificate names %s, but this node is %s",
			mac_format(fresh.mac, m1), mac_format(d->mac, m2));
		tls_fini(&fresh);
		config_fini(&cfg);
		notify_ready(d);
		return;
	}
	if (use == &cfg)
		apply_config(d, &cfg);
	config_fini(&cfg);
	/* live sessions keep a reference to the old context */
	tls_fini(&d->tls);
	d->tls = fresh;
	for (struct link *l = d->links.list, *next; l; l = next) {
		const char *why;
		char reason[160];

		next = l->next;
		if (l->state != LINK_UP || tls_recheck_peer(&d->tls, l->ssl, &why) == 0)
			continue;
		snprintf(reason, sizeof(reason), "certificate no longer accepted: %s", why);
		link_close(l, reason);
		closed++;
	}
	announce_reload(d);
	log_notice("reloaded CA, CRL, certificate and key; %zu link(s) closed", closed);
	tls_warn_expiry(&d->tls, 30);
	notify_ready(d);
}

void daemon_reexec(struct invpnd *d)
{
	char fdargs[4][32], *argv[300];
	int keep[4];
	size_t n = 0, k = 0;

	daemon_save_cache(d);
	/* the new process cannot make these again once privileges are dropped */
	keep[k] = d->tap.fd;
	snprintf(fdargs[k++], sizeof(fdargs[0]), "--tunfd=%d", d->tap.fd);
	if (control_fd(d) >= 0) {
		keep[k] = control_fd(d);
		snprintf(fdargs[k++], sizeof(fdargs[0]), "--ctlfd=%d", control_fd(d));
	}
	for (size_t i = 0; i < d->n_listen; i++) {
		keep[k] = d->listeners[i].io.fd;
		snprintf(fdargs[k], sizeof(fdargs[0]), "--listenfd=%d", keep[k]);
		k++;
	}
	for (char **a = d->argv; *a && n < 290; a++) {
		if (strncmp(*a, "--tunfd=", 8) && strncmp(*a, "--ctlfd=", 8) &&
		    strncmp(*a, "--listenfd=", 11))
			argv[n++] = *a;
	}
	for (size_t i = 0; i < k; i++) {
		argv[n++] = fdargs[i];
		fcntl(keep[i], F_SETFD, 0);
	}
	argv[n] = NULL;
	log_notice("SIGUSR2: re-executing, keeping %s", d->tap.name);
	execv(d->exe[0] ? d->exe : "/proc/self/exe", argv);
	log_err("re-exec failed: %s; running on", strerror(errno));
	for (size_t i = 0; i < k; i++)
		fcntl(keep[i], F_SETFD, FD_CLOEXEC);
}

int daemon_start(struct invpnd *d, struct config *cfg, char *err, size_t errlen)
{
	const char *why = NULL;
	sigset_t mask;
	int r;

	d->cfg = cfg;
	memcpy(d->mac, d->tls.mac, MAC_LEN);
	link_set_init(&d->links, &d->loop, &d->tls, d->mac, &link_events);
	d->links.max_links = cfg->max_links;
	d->links.idle_ms = (uint64_t)cfg->link_timeout * 1000;
	health_init(&d->health, &d->loop, &d->links, &d->routes, d->mac, health_next_id);
	d->signal_fd = -1;
	d->tap.fd = -1;
	if ((r = route_init(&d->routes, cfg->max_routes)) < 0 ||
	    (r = nodes_init(&d->nodes, cfg->max_nodes)) < 0 || (r = loop_init(&d->loop)) < 0) {
		snprintf(err, errlen, "start: %s", strerror(-r));
		return r;
	}
	d->loop.after_round = after_round;
	d->loop.after_round_arg = d;
	d->started_ms = loop_clock_ms();
	d->started_wall_ms = loop_wall_ms();

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0 ||
	    loop_io_add(&d->loop, &d->signal_io, d->signal_fd, EPOLLIN, on_signal) < 0) {
		r = -errno;
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto fail;
	}
	if ((r = open_listeners(d, err, errlen)) < 0)
		goto fail;
	if ((r = control_open(d, err, errlen)) < 0)
		goto fail;
	/* after a SIGUSR2 re-exec (as "user", maybe) a port we cannot bind again is not fatal */
	if ((r = metrics_open(d, err, errlen)) < 0) {
		if (d->tunfd < 0)
			goto fail;
		log_err("%s; running on without metrics", err);
	}
	if (d->tunfd >= 0)
		r = tap_adopt(&d->tap, d->tunfd, d->mac, cfg->mtu, &why);
	else
		r = tap_open(&d->tap, cfg->interface, d->mac, cfg->mtu, cfg->offload, &why);
	if (r < 0) {
		snprintf(err, errlen, "interface %s: %s: %s", cfg->interface, why, strerror(-r));
		goto fail;
	}
	if ((r = loop_io_add(&d->loop, &d->tap_io, d->tap.fd, EPOLLIN, switch_tap_readable)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(-r));
		goto fail;
	}

	refresh_own_endpoints(d);
	add_seeds(d);
	if (cfg->cache && *cfg->cache) {
		r = cache_load(&d->nodes, cfg->cache, loop_wall_ms());
		if (r >= 0)
			log_info("%s: %d cached address(es)", cfg->cache, r);
		else if (r != -ENOENT && r != -EINVAL)
			log_warn("%s: cannot read the peer cache: %s", cfg->cache, strerror(-r));
	}
	d->last_cache_write_ms = loop_clock_ms();
	if ((r = announce_init(d)) < 0) {
		snprintf(err, errlen, "signed announcements: %s", strerror(-r));
		goto fail;
	}
	d->disc = (struct discovery_env){
		.loop = &d->loop,
		.nodes = &d->nodes,
		.cfg = cfg,
		.mac = d->mac,
		.tap_name = d->tap.name,
		.learned = on_discovered,
	};
	if (resolve_start(&d->resolve, &d->disc, err, errlen) < 0)
		log_warn("%s; DNS names are not resolved", err);
	d->mdns = mdns_start(&d->disc);
	loop_timer_arm(&d->loop, &d->tick, DAEMON_TICK_MS, on_tick);
	autoconnect_soon(d);
	return 0;
fail:
	daemon_stop(d);
	return r < 0 ? r : -EINVAL;
}

int daemon_run(struct invpnd *d)
{
	char mac[MAC_STRLEN];

	log_notice("invpnd %s up: node %s, interface %s, %s%u", PACKAGE_VERSION,
		   mac_format(d->mac, mac), d->tap.name,
		   d->n_listen ? "port " : "no incoming, port ", d->cfg->port);
	return loop_run(&d->loop);
}

void daemon_stop(struct invpnd *d)
{
	d->stopping = true;
	mdns_stop(d->mdns);
	d->mdns = NULL;
	resolve_stop(d->resolve);
	d->resolve = NULL;
	link_close_all(&d->links);
	if (d->nodes.v && d->tap.fd >= 0)
		daemon_save_cache(d);
	control_close(d);
	metrics_close(d);
	health_fini(&d->health);
	for (size_t i = 0; i < d->n_listen; i++)
		close(d->listeners[i].io.fd);
	d->n_listen = 0;
	tap_close(&d->tap);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	d->signal_fd = -1;
	route_fini(&d->routes);
	announce_fini(d);
	nodes_fini(&d->nodes);
	loop_fini(&d->loop);
}
