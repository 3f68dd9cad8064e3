/*
 * The node's numbers in the Prometheus text exposition format (0.0.4).
 * Pure: the daemon fills a struct metrics_snapshot (metrics.c), this turns
 * it into text for the HTTP server (metrics_http.c) and for the control
 * socket's "metrics" request (invpnctl metrics).
 *
 * Names follow Prometheus' conventions: the invpn_ prefix, _total on
 * counters, base units (bytes, seconds, timestamps in seconds since the
 * epoch). Labels have bounded values: direction (rx, tx), reason (a fixed
 * list per metric), and peer (a MAC) only on per-link series, which exist
 * for links that are up: at most max_links (at most 1024) peers, so at most
 * METRICS_MAX_LINKS * 5 per-link series.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define METRICS_MAX_LINKS 1024

/* One link that is up. */
struct metrics_link {
	uint8_t peer[MAC_LEN];
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t drop_queue_full; /* frames dropped: its output queue was full */
};

struct metrics_snapshot {
	const char *version, *features; /* PACKAGE_VERSION, INVPN_FEATURES */
	uint8_t mac[MAC_LEN];
	const char *interface;
	uint64_t start_time_s; /* wall clock */
	uint64_t links_up, links_pending, links_min, links_max;
	uint64_t routes, known_addresses;
	uint64_t dials, dial_failures;
	/* incoming or outgoing connections that did not become links, by reason */
	uint64_t refused_per_addr, refused_slots, refused_silent, refused_timeout, refused_tls;
	uint64_t full_refused; /* newcomers taken in at max_links, told FULL and closed */
	uint64_t bad_frames;   /* links closed for malformed frames */
	uint64_t tap_rx_frames, tap_rx_bytes, tap_tx_frames, tap_tx_bytes;
	/* frames dropped, by reason */
	uint64_t drop_foreign_src, drop_no_route, drop_duplicate, drop_unknown_origin,
		drop_tap_write, drop_offload, drop_queue_full;
	uint64_t health_rounds;
	/* seconds since the epoch; 0: not known (no CRL) */
	int64_t cert_expiry_s, ca_expiry_s, crl_next_update_s;
	const struct metrics_link *links; /* links up: at most METRICS_MAX_LINKS are shown */
	size_t n_links;
};

/**
 * Render s. Returns a malloc'd, NUL-terminated text (the caller frees it)
 * with its length in *len, or NULL if memory ran out. Links past
 * METRICS_MAX_LINKS are left out; a peer listed twice (a duplicate link in
 * the instant before one of them closes) is shown once, its counters summed.
 */
char *metrics_text_render(const struct metrics_snapshot *s, size_t *len);
