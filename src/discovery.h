/*
 * What the discovery modules (mdns.c, resolve.c) need from their owner: the
 * loop they run on, the directory they fill, the configuration, and one
 * event. They know nothing else of the daemon.
 */
#pragma once

#include <stdint.h>

struct config;
struct loop;
struct nodes;

struct discovery_env {
	struct loop *loop;
	struct nodes *nodes; /* where found addresses go */
	const struct config *cfg;
	const uint8_t *mac;   /* our own: our own services are not dialled */
	const char *tap_name; /* answers seen through our own TAP are ignored */
	/* a new address went into the directory: dial soon if links are wanted */
	void (*learned)(struct discovery_env *env);
};
