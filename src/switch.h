/*
 * The switch: frames between the TAP device and the links, by PROTOCOL.md.
 * Routing by first-seen broadcast path, flooding with duplicate windows,
 * announcements.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "mac.h"

/* a new link's replay: this many routes at once, then this many a second
 * (under the peer's ORIGIN_NEW_BURST and ORIGIN_NEW_PER_S, with room for floods) */
#define SWITCH_REPLAY_BURST 448
#define SWITCH_REPLAY_PER_S 48
/* a DEGREE that a drain asks for goes at most this often (a peer's DRAINs too) */
#define SWITCH_DEGREE_MIN_MS 1000

struct invpnd;
struct link;
struct proto_info;
struct route;

/** The TAP is readable: read a batch of frames and send them on. */
void switch_tap_readable(struct loop_io *io, uint32_t events);

/**
 * A frame arrived on a link: frame points at the type byte, len is the value
 * of the len field (type + body). The frame may be changed in place. Malformed
 * frames close the link.
 */
void switch_frame(struct invpnd *d, struct link *from, uint8_t *frame, size_t len);

void switch_link_up(struct invpnd *d, struct link *l);
void switch_link_down(struct invpnd *d, struct link *l);
/** Send a fresh ANNOUNCE (or an address-less INFO) on every link. */
void switch_announce(struct invpnd *d);
/**
 * (ext) Our DEGREE now if the links we keep changed (a drain began), at most
 * one per SWITCH_DEGREE_MIN_MS (later, by a timer, if one just went): a
 * lower one makes every node flood afresh soon, which moves routes off the
 * draining link before it closes (daemon_refresh_soon).
 */
void switch_degree_soon(struct invpnd *d);
/** A peer's CAPS or an origin's signed caps: note an invpn node that does not pace (pace.h). */
void switch_note_caps(struct invpnd *d, uint32_t caps);
/** Between floods: our last announcement again on links we sent nothing on for idle_ms. */
void switch_keepalive(struct invpnd *d, uint64_t idle_ms);
/** (ext) Tell a CAPS_DRAIN peer that l closes soon (closing) or stays after all. */
void switch_send_drain(struct link *l, bool closing);
/** Send the new link l what we know (the replay of every route's announcement). */
void switch_replay(struct invpnd *d, struct link *l);
/** Every second: the next step of each new link's paced replay. */
void switch_replay_tick(struct invpnd *d);

/* For signed announcements (announce.c): the INFO handling they share. */
/** The address we see l's far end at, as an INFO's iptype and ip. */
void switch_observed_info(const struct link *l, struct proto_info *info);
/** Record ip:port of an INFO as a dialable address of its node. */
void switch_learn_address(struct invpnd *d, const struct proto_info *info);
/** Whether a GONE's tombstone refuses an announcement (mac, id) (PROTOCOL: GONE). */
bool switch_tomb_blocks(struct invpnd *d, const uint8_t mac[MAC_LEN], int64_t id);
/** An incoming link's first announcement: its address is a success (as on ANNOUNCE). */
void switch_note_inbound(struct invpnd *d, struct link *from, const struct proto_info *info);
/**
 * The rules an INFO must pass to teach us (or move) a route (PROTOCOL: Rules);
 * a copy of the newest one notes its link as upstream. false: drop it.
 */
bool switch_info_allowed(struct invpnd *d, struct link *from, const struct proto_info *info);
/** route_learn moved or refreshed r from this link: it is now r's only upstream. */
void switch_route_taken(struct route *r, const struct link *from);
