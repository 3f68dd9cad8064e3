/*
 * mDNS/DNS-SD with libavahi-client: publish _invpn._tcp with the node's MAC
 * in TXT, browse and resolve other nodes into the directory (source
 * "mdns"). Survives avahi-daemon restarts; without D-Bus or avahi-daemon it
 * warns once and retries with backoff while the other sources work on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct discovery_env;
struct mdns;

#define MDNS_SERVICE "_invpn._tcp"
#define MDNS_RETRY_MIN_MS 1000
#define MDNS_RETRY_MAX_MS 30000
/* distinct service names counted as seen (more are still resolved) */
#define MDNS_MAX_SEEN 256

/* Where mDNS is at, for the control socket (invpnctl status). */
enum mdns_state {
	MDNS_OFF,	  /* mdns = no */
	MDNS_NO_DBUS,	  /* no D-Bus system bus: retrying with backoff */
	MDNS_NO_DAEMON,	  /* on the bus, but no avahi-daemon (yet, or any more) */
	MDNS_REGISTERING, /* our service is being published */
	MDNS_PUBLISHED,	  /* our service is on the LAN */
	MDNS_BROWSING,	  /* browsing only: no_incoming/no_relay publish nothing */
	MDNS_FAILED,	  /* publishing failed (browsing may go on) */
	MDNS_STATE_COUNT,
};

struct mdns_info {
	enum mdns_state state;
	const char *service_name; /* ours (after collisions); NULL if none */
	bool browsing;		  /* the browser runs */
	unsigned services;	  /* other nodes' services seen now (distinct names) */
	unsigned found;		  /* addresses resolved into the directory since start */
	bool retrying;		  /* a reconnect is scheduled: retry_in_ms is valid */
	uint64_t retry_in_ms;
	const char *error; /* the last problem, or NULL */
};

/*
 * The services the browser reports now, by name: Avahi reports each once per
 * interface and protocol (NEW and REMOVE alike), people count nodes.
 */
struct mdns_seen {
	struct {
		char name[64]; /* a DNS-SD instance name is at most 63 bytes */
		unsigned refs;
	} v[MDNS_MAX_SEEN];
	unsigned n; /* distinct names */
};

/** A NEW for name (names past MDNS_MAX_SEEN are not counted). */
void mdns_seen_add(struct mdns_seen *s, const char *name);
/** A REMOVE for name: gone once every NEW for it is removed. */
void mdns_seen_remove(struct mdns_seen *s, const char *name);

/** The current state; state MDNS_OFF (and the rest zero) if mDNS is off (m NULL). */
void mdns_get_info(const struct mdns *m, struct mdns_info *out);
/** "off", "no_dbus", "no_daemon", "registering", "published", "browsing", "failed". */
const char *mdns_state_name(enum mdns_state s);

/**
 * Start (if mdns = yes; NULL otherwise). Never fails the daemon: problems
 * are logged and retried. env must outlive the returned object.
 */
struct mdns *mdns_start(struct discovery_env *env);
/** Stop and free (NULL is fine). */
void mdns_stop(struct mdns *m);
/** After each loop round: free what Avahi released. */
void mdns_after_round(struct mdns *m);
