/*
 * HEALTH REQUEST / RESPONSE (0x02/0x03): answering requests from the mesh,
 * originating them, and collecting the answers of a round.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct invpnd;

/** Answer a new request from the mesh with a 0x03 routed to its origin. */
void health_answer(struct invpnd *d, const struct proto_health_req *req);
/** A 0x03 addressed to us arrived. */
void health_collect(struct invpnd *d, const struct proto_health_resp *resp);

/**
 * Build our answer to req into buf (cap bytes); returns the wire size or
 * -ENOSPC. Routes are cut so that PROTO_RTRACE_RESERVE return-path MACs
 * still fit.
 */
int health_build_response(struct invpnd *d, const struct proto_health_req *req, uint8_t *buf,
			  size_t cap);
