/*
 * The switch: frames between the TAP device and the links, by PROTOCOL.md.
 * Routing by first-seen broadcast path, flooding with duplicate windows,
 * announcements.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct invpnd;
struct link;

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
