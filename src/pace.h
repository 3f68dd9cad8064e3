/*
 * How often a node floods its INFO as the mesh grows, and how long routes
 * live with it (PROTOCOL.md: Timing). Every node's INFO crosses every link
 * once a round, so a fixed interval costs each node O(N) frames a second;
 * one that grows with the number of known nodes keeps that flat. Nothing
 * waits for a round: links coming up replay routes, and a lost or draining
 * link's lower DEGREE (or a GONE) asks every node for a fresh INFO soon
 * (daemon_refresh_soon). Pure.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A mesh of up to this many known nodes floods every announce_interval. */
#define PACE_NODES 5
/* A route lives this many of its origin's rounds without a fresh INFO. */
#define PACE_ROUTE_ROUNDS 4
/*
 * An invpn node of an earlier version (CAPS MESH without PACE, its own or
 * in its signed INFO) expires routes after its route_timeout, 30 s by
 * default: while one was seen within PACE_UNPACED_MS, the interval is at
 * most PACE_UNPACED_MAX_S (three rounds in its 30 s).
 */
#define PACE_UNPACED_MS 600000
#define PACE_UNPACED_MAX_S 10
/* A refresh asked for comes within this much, at random (no burst). */
#define PACE_REFRESH_JITTER_MS 1000

/**
 * The flood interval in ms: announce_interval (base_s) while at most
 * PACE_NODES routes are known, growing in proportion beyond, at most max_s
 * (never below base_s).
 */
uint64_t pace_flood_ms(unsigned base_s, unsigned max_s, size_t routes);

/** How long a route lives without a fresh INFO: route_timeout, or PACE_ROUTE_ROUNDS rounds. */
uint64_t pace_route_timeout_ms(unsigned route_timeout_s, uint64_t flood_ms);

/**
 * When a refresh asked for at now_ms goes: within PACE_REFRESH_JITTER_MS
 * (rnd picks where), but never sooner than one base interval after the last
 * one (last_ms, 0: none yet), so asks however many cost at most one
 * flood per announce_interval.
 */
uint64_t pace_refresh_at(uint64_t now_ms, uint64_t last_ms, uint64_t base_ms, uint32_t rnd);
