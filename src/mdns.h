/*
 * mDNS/DNS-SD with libavahi-client: publish _invpn._tcp with the node's MAC
 * in TXT, browse and resolve other nodes into the directory (source
 * "mdns"). Survives avahi-daemon restarts; without D-Bus or avahi-daemon it
 * warns once and retries with backoff while the other sources work on.
 */
#pragma once

#include <stddef.h>

struct invpnd;

#define MDNS_SERVICE "_invpn._tcp"
#define MDNS_RETRY_MIN_MS 1000
#define MDNS_RETRY_MAX_MS 30000

/** Start (if mdns = yes). Never fails the daemon: problems are logged and retried. */
void mdns_start(struct invpnd *d);
void mdns_stop(struct invpnd *d);
/** After each loop round: free what Avahi released. */
void mdns_after_round(struct invpnd *d);
