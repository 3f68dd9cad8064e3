/*
 * Configuration: INI text (the original InVPN's keys) and command-line
 * overrides into struct config. Pure: the caller reads files. Errors are
 * written as "ORIGIN: KEY: why" where ORIGIN is "file:line" or "command line".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

/* SYSCONFDIR/invpn, from meson (/etc/invpn with --sysconfdir /etc, as installed) */
#ifndef CONFIG_DIR
#define CONFIG_DIR "/etc/invpn"
#endif
#define CONFIG_DEFAULT_FILE CONFIG_DIR "/invpn.conf"
#define CONFIG_DEFAULT_PORT 41744
#define CONFIG_MAX_LIST 64 /* entries of a repeatable key */
#define CONFIG_ERR_SIZE 512
#define CONFIG_HELP_COLUMNS 100 /* config_print_keys' lines are no wider */

/* A seed: [MAC@]HOST[:PORT] */
struct config_peer {
	bool has_mac;
	uint8_t mac[MAC_LEN];
	char host[256];
	uint16_t port;
};

struct config {
	char *key, *cert, *ca, *crl;
	uint16_t port;
	char *listen; /* NULL: all addresses */
	struct config_peer init[CONFIG_MAX_LIST];
	size_t n_init;
	char *srv[CONFIG_MAX_LIST];
	size_t n_srv;
	bool mdns;
	char *cache;
	unsigned min_links, max_links;
	unsigned max_routes, max_nodes; /* route table and directory sizes */
	bool no_incoming, no_relay;
	bool offload; /* TAP offloads (TSO, checksums) and large frames to peers that take them */
	bool sign;    /* (ext) signed self-announcements (announce.c) */
	bool require_signed; /* refuse unsigned origins and peers that do not sign */
	char *interface;
	unsigned mtu;
	char *control;
	unsigned announce_interval, route_timeout, link_timeout; /* seconds */
	unsigned announce_interval_max; /* seconds: the flood interval's cap (pace.h) */
	int log_level;			/* syslog priority */
	char *user, *group;		/* drop privileges to these after start-up */
	char *up, *down; /* scripts run when the interface goes up / before it goes */
	char *metrics;	 /* "ADDRESS:PORT" to serve Prometheus /metrics on; NULL: off */
};

/* Command-line words that are not config keys. */
struct cmdline {
	const char *config_file; /* NULL: the default, if it exists */
	bool foreground;
	bool check_only;
	bool help, version;
	/* internal, from a SIGUSR2 re-exec: fds kept open across it; -1 if none */
	int tunfd, ctlfd, listenfd[2];
	int verbose;
	/* --KEY VALUE overrides, applied after the file */
	const char *keys[256];
	const char *values[256];
	size_t n_overrides;
};

/** Fill defaults. */
void config_init(struct config *c);
void config_fini(struct config *c);

/**
 * Parse INI text; origin names the file in errors. A key other than init or
 * srv given twice is an error naming both lines. Returns 0 or -EINVAL with
 * the message in err.
 */
int config_parse_text(struct config *c, const char *text, size_t len, const char *origin, char *err,
		      size_t errlen);

/** Set one key (either spelling: '-' or '_'); where names the source for errors. */
int config_set(struct config *c, const char *key, const char *value, const char *where, char *err,
	       size_t errlen);

/** Checks across keys (min_links <= max_links ...), after everything is set. */
int config_validate(const struct config *c, char *err, size_t errlen);

/**
 * Parse argv. Returns 0, or -EINVAL for a usage error (message in err).
 * Values of overrides are checked later by config_apply_cmdline.
 */
int config_parse_args(int argc, char **argv, struct cmdline *cl, char *err, size_t errlen);

/**
 * Apply the command line's overrides; a repeatable key given there replaces the file's list.
 * Errors are "command line: --FLAG: why", the flag as it was typed.
 */
int config_apply_cmdline(struct config *c, const struct cmdline *cl, char *err, size_t errlen);

/** Parse "[MAC@]HOST[:PORT]" (HOST an IPv4, [IPv6] or bare IPv6 address, or a name). */
int config_parse_peer(const char *s, uint16_t default_port, struct config_peer *out,
		      const char **why);

/** Print the key reference for --help: each key, what it means, its default. */
void config_print_keys(void *stream);
