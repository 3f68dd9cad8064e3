/* Keeps at least min_links links: dials candidates from the node directory. */
#pragma once

#include <stdbool.h>

struct invpnd;
struct link;

/** Check within about 200 ms (after a link came or went, or an address was learned). */
void autoconnect_soon(struct invpnd *d);
/** Check now, and re-arm the periodic check. */
void autoconnect_run(struct invpnd *d);
/**
 * Start draining l: it closes after one announce interval (see drain), and
 * meanwhile routes move off it. by_peer: the peer said DRAIN; it closes it.
 */
void autoconnect_drain_start(struct invpnd *d, struct link *l, bool by_peer);
/** The peer keeps a link it said DRAIN for after all (a DRAIN "kept"). */
void autoconnect_drain_kept(struct invpnd *d, struct link *l);
