/*
 * (ext) Route withdrawal (PROTOCOL: 0x0c WITHDRAW). A node whose link closes
 * drops every route through it and tells its other WITHDRAW peers which; a
 * peer whose route to such a node went through the sender drops it too and
 * tells its own peers, and so on down that node's route tree. A route is
 * dropped at most once, so a withdrawal ends where no route went through
 * the sender. Only routes through the sender are ever taken: a node can
 * withdraw only what it could black-hole anyway.
 *
 * Every withdrawn route is tombed at its newest id (tomb.h), here and at
 * each receiver: an id a node has forgotten is new to it again, and a dead
 * node's last INFO would go round for good, relearned and withdrawn. A live
 * node's next INFO (a higher id) brings its route back.
 */
#pragma once

#include <stddef.h>

#include "proto.h"

struct invpnd;
struct link;
struct route;

/* Entries waiting to go out; sent in frames of up to PROTO_WITHDRAW_MAX. */
struct withdrawal {
	const struct link *from; /* sent to every other WITHDRAW peer; NULL: to all */
	size_t n;
	struct proto_withdraw_entry e[PROTO_WITHDRAW_MAX];
};

/** Start a withdrawal that will not go back to from. */
void withdraw_start(struct withdrawal *w, const struct link *from);
/** Tomb r's node at its newest id, drop r and add it to w (sent when full). */
void withdraw_route(struct invpnd *d, struct withdrawal *w, struct route *r);
/** Send what w holds. */
void withdraw_flush(struct invpnd *d, struct withdrawal *w);
/** A link is closing: withdraw every route through it (before route_drop_link). */
void withdraw_link_down(struct invpnd *d, const struct link *l);
/** A decoded WITHDRAW from a peer: take the entries whose route goes through it. */
void withdraw_take(struct invpnd *d, const struct link *from, const struct proto_withdraw *w);
