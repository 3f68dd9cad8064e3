#include "metrics.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "daemon.h"
#include "log.h"
#include "metrics_http.h"
#include "metrics_text.h"

static size_t count_nodes(const struct invpnd *d)
{
	size_t n = 0;

	nodes_foreach(&d->nodes, a)
		n++;
	return n;
}

char *metrics_render(struct invpnd *d, size_t *len)
{
	const struct link_set_counters *lc = &d->links.c;
	const struct daemon_counters *c = &d->counters;
	struct metrics_link *links = NULL;
	long long cert = 0, ca = 0;
	size_t n = 0;
	char *text;

	if (d->links.n_up) {
		links = calloc(d->links.n_up, sizeof(*links));
		if (!links)
			return NULL;
	}
	for (struct link *l = d->links.list; l && n < d->links.n_up; l = l->next) {
		if (l->state != LINK_UP)
			continue;
		memcpy(links[n].peer, l->peer_mac, MAC_LEN);
		links[n].rx_frames = l->c.rx_frames;
		links[n].rx_bytes = l->c.rx_bytes;
		links[n].tx_frames = l->c.tx_frames;
		links[n].tx_bytes = l->c.tx_bytes;
		links[n].drop_queue_full = l->c.drops;
		n++;
	}
	tls_expiry(&d->tls, &cert, &ca);
	struct metrics_snapshot s = {
		.version = PACKAGE_VERSION,
		.features = INVPN_FEATURES,
		.interface = d->tap.name,
		.start_time_s = d->started_wall_ms / 1000,
		.links_up = d->links.n_up,
		.links_pending = d->links.n_links - d->links.n_up,
		.links_min = d->cfg->min_links,
		.links_max = d->cfg->max_links,
		.routes = d->routes.count,
		.known_addresses = count_nodes(d),
		.dials = lc->dials,
		.dial_failures = lc->dial_failures,
		.refused_per_addr = lc->refused_per_addr,
		.refused_slots = lc->refused_full,
		.refused_silent = lc->closed_silent,
		.refused_timeout = lc->refused_timeout,
		.refused_tls = lc->refused_handshake,
		.full_refused = lc->full_refused,
		.bad_frames = lc->bad_frames,
		.tap_rx_frames = c->tap_rx_frames,
		.tap_rx_bytes = c->tap_rx_bytes,
		.tap_tx_frames = c->tap_tx_frames,
		.tap_tx_bytes = c->tap_tx_bytes,
		.drop_foreign_src = c->drop_foreign_src,
		.drop_no_route = c->drop_no_route,
		.drop_duplicate = c->drop_duplicate,
		.drop_unknown_origin = c->drop_unknown_origin,
		.drop_tap_write = c->drop_tap_write,
		.drop_offload = c->drop_offload,
		.drop_queue_full = lc->queue_full,
		.health_rounds = d->health.rounds_started,
		.cert_expiry_s = cert,
		.ca_expiry_s = ca,
		.crl_next_update_s = tls_crl_next_update(&d->tls),
		.links = links,
		.n_links = n,
	};
	memcpy(s.mac, d->mac, MAC_LEN);
	text = metrics_text_render(&s, len);
	free(links);
	return text;
}

static char *render(void *arg, size_t *len)
{
	return metrics_render(arg, len);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

int metrics_open(struct invpnd *d, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct config_peer hp;
	const char *why = NULL;
	char name[ADDR_STRLEN];
	socklen_t len;

	if (!d->cfg->metrics)
		return 0;
	/* config.c checked it: ADDRESS:PORT with an IP literal */
	if (config_parse_peer(d->cfg->metrics, 0, &hp, &why) < 0 ||
	    !(len = addr_from_string(&ss, hp.host, hp.port))) {
		snprintf(err, errlen, "metrics: '%s' is not ADDRESS:PORT", d->cfg->metrics);
		return -EINVAL;
	}
	addr_format((struct sockaddr *)&ss, name, sizeof(name));
	d->metrics = metrics_http_open(&d->loop, (struct sockaddr *)&ss, len, render, d, err,
				       errlen);
	if (!d->metrics)
		return -EADDRNOTAVAIL;
	if (!is_loopback(&ss))
		log_warn("metrics: serving http://%s/metrics on an address that is not loopback: "
			 "anyone who can reach it can read this node's links, peers and traffic",
			 name);
	else
		log_info("metrics: serving http://%s/metrics", name);
	return 0;
}

void metrics_close(struct invpnd *d)
{
	metrics_http_close(d->metrics);
	d->metrics = NULL;
}
