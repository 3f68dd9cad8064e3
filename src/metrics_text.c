#include "metrics_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label value: backslash, double quote and newline escaped, as the format wants. */
static void put_label(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* A family with one label whose values are given, NULL-terminated, with their numbers. */
static void by_label(FILE *f, const char *name, const char *help, const char *label,
		     const char *const *values, const uint64_t *v)
{
	family(f, name, "counter", help);
	for (size_t i = 0; values[i]; i++)
		fprintf(f, "%s{%s=\"%s\"} %llu\n", name, label, values[i],
			(unsigned long long)v[i]);
}

/* Links up, one per peer (summed if a peer is listed twice), at most METRICS_MAX_LINKS. */
static size_t unique_links(const struct metrics_snapshot *s, struct metrics_link *out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_links; i++) {
		const struct metrics_link *l = &s->links[i];
		size_t j;

		for (j = 0; j < n && !mac_eq(out[j].peer, l->peer); j++)
			;
		if (j == n) {
			if (n == METRICS_MAX_LINKS)
				continue;
			out[n++] = *l;
			continue;
		}
		out[j].rx_frames += l->rx_frames;
		out[j].rx_bytes += l->rx_bytes;
		out[j].tx_frames += l->tx_frames;
		out[j].tx_bytes += l->tx_bytes;
		out[j].drop_queue_full += l->drop_queue_full;
	}
	return n;
}

static void per_link(FILE *f, const struct metrics_link *links, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t rx, tx; /* offsets; tx 0: one series, reason="queue_full" */
	} fams[] = {
		{"invpn_link_frames_total",
		 "Frames on a link that is up, by peer MAC and direction",
		 offsetof(struct metrics_link, rx_frames),
		 offsetof(struct metrics_link, tx_frames)},
		{"invpn_link_bytes_total",
		 "Bytes of frames on a link that is up, by peer MAC and direction",
		 offsetof(struct metrics_link, rx_bytes), offsetof(struct metrics_link, tx_bytes)},
		{"invpn_link_dropped_frames_total",
		 "Frames dropped on a link that is up, by peer MAC and reason",
		 offsetof(struct metrics_link, drop_queue_full), 0},
	};

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family(f, fams[k].name, "counter", fams[k].help);
		for (size_t i = 0; i < n; i++) {
			const char *l = (const char *)&links[i];
			char mac[MAC_STRLEN];
			uint64_t rx, tx;

			mac_format(links[i].peer, mac);
			memcpy(&rx, l + fams[k].rx, sizeof(rx));
			if (!fams[k].tx) {
				fprintf(f, "%s{peer=\"%s\",reason=\"queue_full\"} %llu\n",
					fams[k].name, mac, (unsigned long long)rx);
				continue;
			}
			memcpy(&tx, l + fams[k].tx, sizeof(tx));
			fprintf(f, "%s{peer=\"%s\",direction=\"rx\"} %llu\n", fams[k].name, mac,
				(unsigned long long)rx);
			fprintf(f, "%s{peer=\"%s\",direction=\"tx\"} %llu\n", fams[k].name, mac,
				(unsigned long long)tx);
		}
	}
}

char *metrics_text_render(const struct metrics_snapshot *s, size_t *len)
{
	static const char *const dirs[] = {"rx", "tx", NULL};
	static const char *const refusals[] = {"per_address", "no_slot", "silent",
					       "timeout",     "tls",	 NULL};
	static const char *const drops[] = {"foreign_source", "no_route",  "duplicate",
					    "unknown_origin", "tap_write", "offload",
					    "queue_full",     NULL};
	const uint64_t refused[] = {s->refused_per_addr, s->refused_slots, s->refused_silent,
				    s->refused_timeout, s->refused_tls};
	const uint64_t dropped[] = {s->drop_foreign_src,    s->drop_no_route,  s->drop_duplicate,
				    s->drop_unknown_origin, s->drop_tap_write, s->drop_offload,
				    s->drop_queue_full};
	const uint64_t tap_frames[] = {s->tap_rx_frames, s->tap_tx_frames};
	const uint64_t tap_bytes[] = {s->tap_rx_bytes, s->tap_tx_bytes};
	struct metrics_link *links = NULL;
	char *text = NULL, mac[MAC_STRLEN];
	size_t size = 0, n_links = 0;
	FILE *f;

	if (s->n_links) {
		links = calloc(s->n_links < METRICS_MAX_LINKS ? s->n_links : METRICS_MAX_LINKS,
			       sizeof(*links));
		if (!links)
			return NULL;
		n_links = unique_links(s, links);
	}
	f = open_memstream(&text, &size);
	if (!f) {
		free(links);
		return NULL;
	}
	family(f, "invpn_build_info", "gauge", "Always 1: the version and features of this invpnd");
	fputs("invpn_build_info{version=\"", f);
	put_label(f, s->version);
	fputs("\",features=\"", f);
	put_label(f, s->features);
	fputs("\"} 1\n", f);
	family(f, "invpn_node_info", "gauge", "Always 1: this node's MAC and TAP interface");
	fprintf(f, "invpn_node_info{mac=\"%s\",interface=\"", mac_format(s->mac, mac));
	put_label(f, s->interface);
	fputs("\"} 1\n", f);
	one(f, "invpn_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch", s->start_time_s);
	one(f, "invpn_links_up", "gauge", "Links that are up", s->links_up);
	one(f, "invpn_links_pending", "gauge", "Connections dialling or in their TLS handshake",
	    s->links_pending);
	one(f, "invpn_links_min", "gauge", "Links the node keeps at least (min_links)",
	    s->links_min);
	one(f, "invpn_links_max", "gauge", "Links the node allows at most (max_links)",
	    s->links_max);
	one(f, "invpn_routes", "gauge", "Nodes this node has a route to", s->routes);
	one(f, "invpn_known_addresses", "gauge",
	    "Addresses of nodes known (configured, discovered, announced or cached)",
	    s->known_addresses);
	one(f, "invpn_dials_total", "counter", "Connections this node dialled", s->dials);
	one(f, "invpn_dial_failures_total", "counter",
	    "Dialled connections that failed before the peer's first frame", s->dial_failures);
	by_label(f, "invpn_handshake_refusals_total",
		 "Connections refused or closed before they became links, by reason", "reason",
		 refusals, refused);
	one(f, "invpn_full_refusals_total", "counter",
	    "Newcomers taken in at max_links only to be told FULL and closed", s->full_refused);
	one(f, "invpn_bad_frame_closes_total", "counter", "Links closed for malformed frames",
	    s->bad_frames);
	by_label(f, "invpn_tap_frames_total", "Frames between the TAP and the daemon, by direction",
		 "direction", dirs, tap_frames);
	by_label(f, "invpn_tap_bytes_total",
		 "Bytes of frames between the TAP and the daemon, by direction", "direction", dirs,
		 tap_bytes);
	by_label(f, "invpn_dropped_frames_total", "Frames dropped, by reason", "reason", drops,
		 dropped);
	one(f, "invpn_health_rounds_total", "counter", "Health rounds this node started",
	    s->health_rounds);
	family(f, "invpn_certificate_expiry_timestamp_seconds", "gauge",
	       "When this node's certificate expires, in seconds since the epoch");
	fprintf(f, "invpn_certificate_expiry_timestamp_seconds %lld\n",
		(long long)s->cert_expiry_s);
	family(f, "invpn_ca_expiry_timestamp_seconds", "gauge",
	       "When the CA certificate that expires first expires, in seconds since the epoch");
	fprintf(f, "invpn_ca_expiry_timestamp_seconds %lld\n", (long long)s->ca_expiry_s);
	family(f, "invpn_crl_next_update_timestamp_seconds", "gauge",
	       "When the CRL is due to be replaced, in seconds since the epoch (no sample without a CRL)");
	if (s->crl_next_update_s)
		fprintf(f, "invpn_crl_next_update_timestamp_seconds %lld\n",
			(long long)s->crl_next_update_s);
	per_link(f, links, n_links);
	free(links);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*len = size;
	return text;
}
